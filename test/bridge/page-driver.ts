import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChromiumHandle } from '../harness/index.ts';
import type { PageState } from './page/main.ts';

/** What test/bridge/page/main.ts reports (window.bridgeTest.snapshot()). */
export interface Snapshot extends PageState {
  framesDecoded?: number;
  framesDropped?: number;
  fps?: number;
  width?: number;
  height?: number;
  pixels: number;
}

/** The test page in one engine, driven the same way whichever it is. */
export interface PageDriver {
  readonly engine: string;
  snapshot(): Promise<Snapshot | undefined>;
  /** Runs JavaScript in the page, e.g. `bridgeTest.keyframe()`. */
  run(script: string): Promise<void>;
  reload(): Promise<void>;
  /** Writes what the page shows now as a PNG (in WebKitGTK: the canvas, the video as it drew it). */
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

export async function chromiumPage(chromium: ChromiumHandle, url: string): Promise<PageDriver> {
  const page = await chromium.newPage();
  await page.goto(url);
  return {
    engine: 'Chromium',
    snapshot: () => page.evaluate(() => (window as unknown as { bridgeTest?: { snapshot(): Snapshot } }).bridgeTest?.snapshot()),
    run: async (script) => void (await page.evaluate(script)),
    reload: async () => void (await page.reload()),
    screenshot: async (path) => void (await page.screenshot({ path: path as `${string}.png` })),
    close: () => page.close(),
  };
}

const WEBKIT_SCRIPT = fileURLToPath(new URL('../harness/webkit-page.py', import.meta.url));
// Debian's own Python: the one python3-gi and gir1.2-webkit2-4.1 install into.
const PYTHON = '/usr/bin/python3';

/** Why WebKitGTK cannot run here, or undefined when it can (xvfb-run, python3-gi, WebKit2 4.1). */
export function webkitMissing(): string | undefined {
  const probe = spawnSync('xvfb-run', ['-a', PYTHON, '-c', "import gi; gi.require_version('WebKit2', '4.1'); from gi.repository import WebKit2"], { encoding: 'utf8' });
  if (probe.error) return `xvfb-run is missing (${probe.error.message}): apt install xvfb xauth`;
  if (probe.status !== 0) return `WebKitGTK from Python is missing: apt install python3-gi gir1.2-webkit2-4.1 (${probe.stderr.trim().split('\n').pop() ?? ''})`;
  return undefined;
}

/** The test page in Debian's WebKitGTK (the engine of Tauri's Linux webview) under Xvfb. */
export function webkitPage(url: string): PageDriver {
  const child = spawn('xvfb-run', ['-a', PYTHON, WEBKIT_SCRIPT, url], { stdio: ['pipe', 'pipe', 'pipe'] });
  let latest: Snapshot | undefined;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const value = JSON.parse(line) as Snapshot | { pending: string };
      if (!('pending' in value)) latest = value;
    } catch {
      // Not a snapshot: WebKit's own chatter.
    }
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    engine: 'WebKitGTK',
    snapshot: async () => {
      if (child.exitCode !== null) throw new Error(`WebKitGTK exited (${child.exitCode}): ${stderr}`);
      return latest;
    },
    run: async (script) => void child.stdin.write(`${script.replace(/\n/g, ' ')}\n`),
    reload: async () => {
      latest = undefined;
      child.stdin.write('reload\n');
    },
    screenshot: async (path) => {
      child.stdin.write(`screenshot ${path}\n`);
    },
    close: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
