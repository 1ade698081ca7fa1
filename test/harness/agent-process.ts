import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentEvent } from '../../pi-agent/src/core/events.ts';

const BIN = fileURLToPath(new URL('../../pi-agent/bin/pi-agent.js', import.meta.url));

type Timed = AgentEvent & { time: string };
type EventOf<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }> & { time: string };

/**
 * The real agent as a child process, the way systemd or a Tauri shell runs it: --json events
 * read line by line from stdout, blobs written to stdin, SIGINT to stop.
 */
export class AgentProcess {
  readonly events: Timed[] = [];
  stderr = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private waiters: { match: (e: Timed) => boolean; resolve: (e: Timed) => void }[] = [];
  readonly exited: Promise<number | null>;

  /**
   * `wrap`: a command the agent runs under, e.g. `ip netns exec NS` (test/harness/netns.ts).
   * `bin`: another agent's bin script, e.g. an installed packed agent's (test/harness/packed.ts).
   */
  constructor(args: string[], env: NodeJS.ProcessEnv = process.env, wrap: readonly string[] = [], bin = BIN) {
    // PIGEON_AGENT_NODE runs the agent on another Node (e.g. Debian's 18, as on a Pi).
    const [command, ...rest] = [...wrap, process.env.PIGEON_AGENT_NODE ?? process.execPath, bin, ...args, '--json'];
    this.child = spawn(command!, rest, { stdio: 'pipe', env });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let event: Timed;
      try {
        event = JSON.parse(line) as Timed;
      } catch {
        throw new Error(`agent printed a non-JSON line on stdout with --json: ${line}`);
      }
      this.events.push(event);
      this.waiters = this.waiters.filter((w) => (w.match(event) ? (w.resolve(event), false) : true));
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The next event of this type (after `after` events have been seen), waiting up to `timeoutMs`. */
  next<T extends AgentEvent['type']>(type: T, options: { timeoutMs?: number; after?: number; where?: (e: EventOf<T>) => boolean } = {}): Promise<EventOf<T>> {
    const match = (e: Timed): boolean => e.type === type && (options.where?.(e as EventOf<T>) ?? true);
    const seen = this.events.slice(options.after ?? 0).find(match);
    if (seen) return Promise.resolve(seen as EventOf<T>);
    // Generous: a first offer took 8-14 s at a load average of 20 on 2 cores (tsx, gst-launch, werift).
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Types for the lot; whole events for the few that say why something ended (their reason and code).
        const telling = this.events.filter((e) => /left|closed|refused|error|expired|failed|pipeline/.test(e.type)).map((e) => JSON.stringify(e));
        reject(new Error(`no "${type}" event within ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(', ')}; ${telling.join(' ')}; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e as EventOf<T>)) });
    });
  }

  write(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Bytes as they are, in one write: no line break added. Resolves once the pipe took them. */
  writeRaw(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.child.stdin.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** Stops reading the agent's stdout, as when the ssh session that carried its events ends. */
  closeStdout(): void {
    this.child.stdout.destroy();
  }

  /** SIGKILL, as a crash or a power cut would: no goodbye. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGINT, as Ctrl-C or systemd would; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
