// The one owner of the carried command's process (`ssh pi@robot pi-agent offer --json`, or the
// agent itself): spawned tied to this process (@pigeon/node-common: spawn-tied.ts), its --json event lines
// read from stdout (pi-agent/src/output/json-line.ts), blobs written to its stdin one line each (the
// agent's paste input, pi-agent/src/input/inputs.ts), stderr kept for the error when it ends, and killed
// when the bridge stops or exits.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { spawnTied } from '@pigeon/node-common';
import { CarryError, exitFailure } from './carry-errors.ts';

/** A blob the agent showed: its offer (refreshed after each join and when one expires) or an answer. */
export interface CarriedBlob {
  text: string;
  /** The offer's id (offers only). */
  offerId?: number;
  expiresAt?: string;
}

export interface CarriedAgentEvents {
  offer: [CarriedBlob];
  answer: [CarriedBlob];
  /** The agent refused what it was given (an expired offer's answer, a wrong blob): its code and words. */
  refused: [code: string, reason: string];
  /** The command ended or never spoke; the carrier carries nothing more. */
  failed: [CarryError];
}

const STDERR_TAIL = 8000;
/** ssh, then the agent's first offer on a loaded 2-core machine: 8-14 s was seen for the offer alone. */
const FIRST_EVENT_MS = 60_000;
const KILL_AFTER_MS = 3000;

interface AgentLine {
  type?: unknown;
  text?: unknown;
  offerId?: unknown;
  expiresAt?: unknown;
  code?: unknown;
  reason?: unknown;
}

export class CarriedAgent extends EventEmitter<CarriedAgentEvents> {
  private stderr = '';
  private heard = false;
  private stopping = false;
  private failed = false;
  private readonly silence: NodeJS.Timeout;
  private readonly killOnExit = (): void => void this.child.kill('SIGKILL');
  readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly command: readonly string[],
    firstEventMs: number,
  ) {
    super();
    process.on('exit', this.killOnExit);
    this.silence = setTimeout(() => this.silent(firstEventMs), firstEventMs);
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_TAIL)));
    if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => this.read(line));
    // A write after the command ended: its exit says why, not EPIPE.
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        this.fail(new CarryError('E_CARRY_START', `could not start ${command[0] ?? 'the command'}: ${error.message}`, { cause: error }));
        resolve();
      });
      child.once('close', (code, signal) => {
        if (!this.stopping) this.fail(exitFailure(command, code, signal, this.stderr));
        resolve();
      });
    }).finally(() => {
      clearTimeout(this.silence);
      process.off('exit', this.killOnExit);
    });
  }

  /** Starts `command` (argv, no shell on this side); `env` defaults to this process's. */
  static start(command: readonly string[], options: { env?: NodeJS.ProcessEnv; firstEventMs?: number } = {}): CarriedAgent {
    const [file, ...args] = command;
    if (file === undefined) throw new CarryError('E_CARRY_START', 'no command to carry');
    const child = spawnTied(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    return new CarriedAgent(child, command, options.firstEventMs ?? FIRST_EVENT_MS);
  }

  /** Hands a blob to the agent as one pasted line; spaces and line breaks (which blobs ignore) are taken out. */
  write(text: string): void {
    const stdin = this.child.stdin;
    if (stdin && !stdin.destroyed && !this.stopping) stdin.write(`${text.replace(/\s+/g, '')}\n`);
  }

  /** Ends the command (SIGTERM, SIGKILL if it lingers); resolves once it is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.silence);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), KILL_AFTER_MS);
      await this.exited;
      clearTimeout(timer);
    }
  }

  private read(line: string): void {
    let event: AgentLine;
    try {
      event = JSON.parse(line) as AgentLine;
    } catch {
      // A login banner or a shell's words on stdout: not the agent's. Its stderr says more if it ends.
      return;
    }
    if (!this.heard) {
      this.heard = true;
      clearTimeout(this.silence);
    }
    const text = typeof event.text === 'string' ? event.text : undefined;
    const expiresAt = typeof event.expiresAt === 'string' ? { expiresAt: event.expiresAt } : {};
    if (event.type === 'offer' && text) this.emit('offer', { text, ...(typeof event.offerId === 'number' ? { offerId: event.offerId } : {}), ...expiresAt });
    else if (event.type === 'answer' && text) this.emit('answer', { text, ...expiresAt });
    else if (event.type === 'refused') this.emit('refused', String(event.code ?? 'E_REFUSED'), String(event.reason ?? 'refused'));
  }

  private silent(ms: number): void {
    if (this.heard) return;
    this.fail(new CarryError('E_CARRY_SILENT', `${this.command[0] ?? 'the command'} printed no agent event in ${ms / 1000} s (is it "pi-agent offer --json" or "pi-agent answer --json"?)${this.stderr.trim() ? `: ${this.stderr.trim().slice(-800)}` : ''}`));
    void this.stop();
  }

  private fail(error: CarryError): void {
    if (this.failed) return;
    this.failed = true;
    this.emit('failed', error);
  }
}
