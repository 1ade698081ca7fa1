import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WEBKIT_SCRIPT = fileURLToPath(new URL('./webkit-page.py', import.meta.url));

/** A page in WebKitGTK read through a probe expression of the test's, and driven by scripts. */
export interface ProbedWebKitPage<T> {
  /** The probe's latest value; undefined while it reports {"pending": …}. */
  latest(): T | undefined;
  /** Runs JavaScript in the page (one line). */
  run(script: string): void;
  close(): Promise<void>;
}

/**
 * Any page in Debian's WebKitGTK (Tauri's Linux webview) under Xvfb, through webkit-page.py:
 * `probe`, a JavaScript expression that gives a JSON string, is polled every 200 ms.
 */
export function probedWebKitPage<T>(url: string, probe: string): ProbedWebKitPage<T> {
  const child = spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x900x24', '/usr/bin/python3', WEBKIT_SCRIPT, url, probe], { stdio: ['pipe', 'pipe', 'pipe'] });
  let latest: T | undefined;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const value = JSON.parse(line) as T | { pending: string };
      if (value && typeof value === 'object' && !('pending' in value)) latest = value;
    } catch {
      // Not a probe's line: WebKit's own chatter.
    }
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    latest: () => {
      if (child.exitCode !== null) throw new Error(`WebKitGTK exited (${child.exitCode}): ${stderr}`);
      return latest;
    },
    run: (script) => void child.stdin.write(`${script.replace(/\n/g, ' ')}\n`),
    close: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
