import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BridgeEvent } from '../../bridge/src/core/events.ts';

export const BRIDGE_BIN = fileURLToPath(new URL('../../bridge/bin/pigeon-bridge.js', import.meta.url));

type Timed = BridgeEvent & { time: string };
type EventOf<T extends BridgeEvent['type']> = Extract<BridgeEvent, { type: T }> & { time: string };

/**
 * The real bridge as a child process, the way a Tauri shell runs it: the URL from the first
 * stdout line, then --json events line by line; SIGTERM to stop.
 */
export class BridgeProcess {
  readonly events: Timed[] = [];
  stderr = '';
  readonly url: Promise<string>;
  /** With --carry: the carry link's URL, the second line on stdout. */
  readonly carryUrl: Promise<string>;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;
  private waiters: { match: (e: Timed) => boolean; resolve: (e: Timed) => void }[] = [];

  /** `executable`: a built single executable (scripts/build-bridge-exe.sh) instead of Node + bin. */
  constructor(args: string[] = [], executable?: string) {
    const [command, ...before] = executable ? [executable] : [process.env.PIGEON_AGENT_NODE ?? process.execPath, BRIDGE_BIN];
    // --json first: with --carry, whatever follows `--` belongs to the carried command.
    this.child = spawn(command!, [...before, '--json', ...args], { stdio: 'pipe' });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    const lines = createInterface({ input: this.child.stdout });
    this.carryUrl = new Promise((resolve, reject) => {
      let seen = 0;
      lines.on('line', (line) => {
        if (++seen === 2 && line.startsWith('ws://')) resolve(line);
      });
      void this.exited.then((code) => reject(new Error(`the bridge exited (${code}) before printing a carry URL: ${this.stderr}`)));
    });
    // Not every bridge carries: an unawaited carryUrl must not fail the test.
    this.carryUrl.catch(() => undefined);
    this.url = new Promise((resolve, reject) => {
      let first = true;
      lines.on('line', (line) => {
        if (first) {
          first = false;
          return /^ws:\/\/127\.0\.0\.1:\d+\/\S+$/.test(line) ? resolve(line) : reject(new Error(`the bridge's first line is not its URL: ${line}`));
        }
        if (line.startsWith('ws://')) return; // the carry URL (carryUrl)
        const event = JSON.parse(line) as Timed;
        this.events.push(event);
        this.waiters = this.waiters.filter((w) => (w.match(event) ? (w.resolve(event), false) : true));
      });
      void this.exited.then((code) => reject(new Error(`the bridge exited (${code}) before printing its URL: ${this.stderr}`)));
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The next event of this type (after `after` events), waiting up to `timeoutMs`. */
  next<T extends BridgeEvent['type']>(type: T, options: { timeoutMs?: number; after?: number; where?: (e: EventOf<T>) => boolean } = {}): Promise<EventOf<T>> {
    const match = (e: Timed): boolean => e.type === type && (options.where?.(e as EventOf<T>) ?? true);
    const seen = this.events.slice(options.after ?? 0).find(match);
    if (seen) return Promise.resolve(seen as EventOf<T>);
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${type}" bridge event within ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(', ')}; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e as EventOf<T>)) });
    });
  }

  /** SIGTERM, as a Tauri shell or systemd would; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
