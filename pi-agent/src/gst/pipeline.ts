import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { checkElements } from './elements.ts';
import { PipelineError } from '../core/errors.ts';
import type { PipelineSpec } from './pipeline-spec.ts';
import { spawnTied } from '@pigeon/node-common';

export { PipelineError, isPipelineError, type PipelineErrorCode } from '../core/errors.ts';

export interface PipelineRunOptions {
  /** Default 'gst-launch-1.0' from PATH. */
  gstLaunch?: string;
  /** Default 'gst-inspect-1.0' from PATH; used by the element check before the first start. */
  gstInspect?: string;
  /** Check spec.elements with gst-inspect-1.0 before the first start (default true). */
  checkElements?: boolean;
  env?: NodeJS.ProcessEnv;
  /**
   * Restart a child that dies while running, waiting initialMs and doubling up to maxMs; the
   * delay starts over once a child has run resetAfterMs. Default 500 ms to 10 s, reset after
   * 30 s. false: never restart (the death becomes a 'failed' event).
   */
  restart?: { initialMs: number; maxMs: number; resetAfterMs?: number } | false;
  /** Aborting stops the pipeline. */
  signal?: AbortSignal;
  /** How long start() waits for gst-launch to reach PLAYING (default 15 s: cameras and Hailo are slow to open). */
  startTimeoutMs?: number;
  /** How long the child must stay up after PLAYING before start() trusts it (default 500 ms; caps errors come with the first frames). */
  settleMs?: number;
  /** How long stop() waits after SIGINT before SIGKILL (default 3 s). */
  stopTimeoutMs?: number;
}

export interface PipelineEvents {
  /** A child reached PLAYING (first start and every restart). */
  started: [pid: number];
  /** A child ended, for whatever reason (also after stop()); stderrTail is its last ~4 KB of stderr. */
  exit: [code: number | null, signal: NodeJS.Signals | null, stderrTail: string];
  /** A child died while running; another starts in delayMs. attempt counts from 1 since the last healthy run. */
  restarting: [attempt: number, delayMs: number];
  /**
   * The pipeline gave up: restarts are off, or gst-launch could not be spawned any more. Not
   * Node's special 'error' event, which throws when nobody listens: this is said either way.
   */
  failed: [error: PipelineError];
  /** Each line gst-launch prints, for logging with --verbose. */
  output: [stream: 'stdout' | 'stderr', line: string];
  /** Bytes of scan frames from fd 3 (spec.scan), in order; a new run starts on a frame boundary. */
  scan: [chunk: Buffer];
}

export type PipelineState = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

const STDERR_TAIL = 4096;
/** gst-launch prints this (untranslated: the child runs with LC_ALL=C) when it sets PLAYING. */
const PLAYING = /^Setting pipeline to PLAYING/;

// Children of every Pipeline, killed if this process exits without stopping them. A death no
// exit hook sees (SIGKILL, the OOM killer) is covered by spawnTied's parent-death signal.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/** The lines worth putting in an error message: gst-launch's ERROR/WARNING lines, else the last line. */
function summarize(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const errors = lines.filter((l) => /^(ERROR|WARNING)\b/.test(l));
  const picked = errors.length > 0 ? errors.slice(0, 3) : lines.slice(-1);
  return picked.join(' / ');
}

/** Calls onLine for every complete line of a stream. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl).replace(/\r$/, ''));
      pending = pending.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
  });
}

interface Run {
  child: ChildProcess;
  /** Resolves when the child has reached PLAYING and stayed up settleMs; rejects if it ends first. */
  ready: Promise<void>;
  /** Resolves when the child has exited and its output is read. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  startedAt: number;
  stderr: string;
}

/**
 * The one owner of the gst-launch-1.0 child: spawns it (argv, no shell), reports when it plays,
 * restarts it with backoff when it dies, stops it with SIGINT then SIGKILL, and kills it when
 * this process exits (by any means) or the abort signal fires.
 */
export class Pipeline extends EventEmitter<PipelineEvents> {
  private readonly spec: PipelineSpec;
  private readonly opts: PipelineRunOptions;
  private run: Run | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopping = false;
  private checked = false;
  private currentState: PipelineState = 'idle';
  private readonly onAbort = (): void => {
    this.stop().catch(() => undefined);
  };

  constructor(spec: PipelineSpec, opts: PipelineRunOptions = {}) {
    super();
    this.spec = spec;
    this.opts = opts;
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get pid(): number | undefined {
    const child = this.run?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  /** The running child's stdin, for a source that reads frames from it (spec.input). */
  get input(): NodeJS.WritableStream | undefined {
    const stdin = this.run?.child.stdin;
    return this.pid !== undefined && stdin && !stdin.destroyed ? stdin : undefined;
  }

  get state(): PipelineState {
    return this.currentState;
  }

  /** Spawns the child; resolves once it is playing. Rejects (and leaves nothing running) if it cannot start. */
  async start(): Promise<void> {
    if (this.currentState === 'starting' || this.currentState === 'running' || this.currentState === 'restarting') return;
    if (this.opts.signal?.aborted === true) throw new PipelineError('E_GST_START', 'the pipeline was aborted before it started');
    this.stopping = false;
    this.attempt = 0;
    this.currentState = 'starting';
    try {
      if (this.opts.checkElements !== false && !this.checked) {
        await checkElements(this.spec.elements, { gstInspect: this.opts.gstInspect, env: this.opts.env });
        this.checked = true;
      }
      if (this.stopping) throw new PipelineError('E_GST_START', 'the pipeline was stopped before it started');
      const run = this.spawnRun();
      await run.ready;
      if (this.stopping) throw new PipelineError('E_GST_START', 'the pipeline was stopped before it started');
      this.currentState = 'running';
      this.emit('started', run.child.pid!);
      void this.watch(run);
    } catch (error) {
      const stopped = this.stopping;
      if (!stopped) this.currentState = 'failed';
      await this.kill();
      if (stopped && !(error instanceof PipelineError && error.code === 'E_GST_START')) {
        throw new PipelineError('E_GST_START', 'the pipeline was stopped before it was playing', { cause: error });
      }
      throw error;
    }
  }

  /** Ends the child (SIGINT, then SIGKILL after stopTimeoutMs) and cancels any restart. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.currentState !== 'idle' && this.currentState !== 'failed') this.currentState = 'stopping';
    await this.kill();
    if (this.currentState === 'stopping') this.currentState = 'stopped';
  }

  private async kill(): Promise<void> {
    const run = this.run;
    if (run === undefined) return;
    const { child } = run;
    if (child.exitCode === null && child.signalCode === null) {
      // Without -e, gst-launch sets the pipeline to NULL on SIGINT (~10 ms), releasing the camera
      // and the Hailo device. With -e it would wait for EOS, and rtpbin's RTCP branch misses the
      // EOS in about a third of stops (GStreamer 1.22): nothing to flush here is worth that.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.stopTimeoutMs ?? 3000);
      await run.closed;
      clearTimeout(timer);
    } else {
      await run.closed;
    }
  }

  private spawnRun(): Run {
    const gstLaunch = this.opts.gstLaunch ?? 'gst-launch-1.0';
    const { LANGUAGE: _language, ...inherited } = this.opts.env ?? process.env;
    const env = { ...inherited, LC_ALL: 'C', GST_DEBUG_NO_COLOR: '1' };
    const child = spawnTied(gstLaunch, this.spec.args, {
      stdio: [this.spec.input ? 'pipe' : 'ignore', 'pipe', 'pipe', this.spec.scan ? 'pipe' : 'ignore'],
      env,
    });
    // A write to a child that just died must not take the agent down with EPIPE.
    child.stdin?.on('error', () => undefined);
    const scan = child.stdio[3];
    if (scan && 'on' in scan) (scan as NodeJS.ReadableStream).on('data', (chunk: Buffer) => this.emit('scan', chunk));
    const run: Run = { child, ready: Promise.resolve(), closed: Promise.resolve({ code: null, signal: null }), startedAt: Date.now(), stderr: '' };
    this.run = run;
    track(child);

    let playing: () => void = () => undefined;
    const sawPlaying = new Promise<void>((resolve) => (playing = resolve));
    let spawnError: NodeJS.ErrnoException | undefined;
    run.closed = new Promise((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        spawnError = error;
      });
      child.once('close', (code, signal) => {
        live.delete(child);
        if (spawnError === undefined) this.emit('exit', code, signal, run.stderr);
        resolve({ code, signal });
      });
    });
    lines(child.stdout!, (line) => {
      this.emit('output', 'stdout', line);
      if (PLAYING.test(line)) playing();
    });
    lines(child.stderr!, (line) => {
      this.emit('output', 'stderr', line);
      run.stderr = (run.stderr + line + '\n').slice(-STDERR_TAIL);
    });

    const settleMs = this.opts.settleMs ?? 500;
    const startTimeoutMs = this.opts.startTimeoutMs ?? 15_000;
    const failed = run.closed.then(({ code, signal }): never => {
      if (spawnError?.code === 'ENOENT') {
        throw new PipelineError('E_GST_NOT_INSTALLED', `${gstLaunch} was not found, so GStreamer is not installed: sudo apt install gstreamer1.0-tools`, {
          cause: spawnError,
        });
      }
      if (spawnError !== undefined) throw new PipelineError('E_GST_START', `could not run ${gstLaunch}: ${spawnError.message}`, { cause: spawnError });
      const how = signal === null ? `with code ${code}` : `on ${signal}`;
      const detail = summarize(run.stderr);
      throw new PipelineError('E_GST_EXIT', `${gstLaunch} exited ${how} before the pipeline was playing${detail === '' ? '' : `: ${detail}`}`, {
        stderr: run.stderr,
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new PipelineError('E_GST_START', `${gstLaunch} did not reach PLAYING within ${startTimeoutMs} ms`, { stderr: run.stderr }));
      }, startTimeoutMs);
    });
    const settled = sawPlaying.then(() => new Promise<void>((resolve) => setTimeout(resolve, settleMs)));
    run.ready = Promise.race([settled, failed, timeout]).finally(() => clearTimeout(timer));
    // `failed` rejects at every exit, also after ready: that rejection is handled by watch().
    failed.catch(() => undefined);
    return run;
  }

  /** Waits for a running child to end; restarts it unless it was stopped. */
  private async watch(run: Run): Promise<void> {
    const { code, signal } = await run.closed;
    if (this.stopping || this.run !== run) return;
    const restart = this.opts.restart ?? { initialMs: 500, maxMs: 10_000 };
    const how = signal === null ? `with code ${code}` : `on ${signal}`;
    const detail = summarize(run.stderr);
    const died = new PipelineError('E_GST_EXIT', `the pipeline died (${this.opts.gstLaunch ?? 'gst-launch-1.0'} exited ${how})${detail === '' ? '' : `: ${detail}`}`, {
      stderr: run.stderr,
    });
    if (restart === false) {
      this.fail(died);
      return;
    }
    if (Date.now() - run.startedAt >= (restart.resetAfterMs ?? 30_000)) this.attempt = 0;
    this.scheduleRestart(restart);
  }

  private scheduleRestart(restart: { initialMs: number; maxMs: number }): void {
    this.attempt += 1;
    const delayMs = Math.min(restart.maxMs, restart.initialMs * 2 ** (this.attempt - 1));
    this.currentState = 'restarting';
    this.emit('restarting', this.attempt, delayMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      const run = this.spawnRun();
      run.ready.then(
        () => {
          if (this.stopping || this.run !== run) return;
          this.currentState = 'running';
          this.emit('started', run.child.pid!);
          void this.watch(run);
        },
        async (error: PipelineError) => {
          await this.kill();
          if (this.stopping || this.run !== run) return;
          if (error.code === 'E_GST_NOT_INSTALLED' || (error.code === 'E_GST_START' && error.cause !== undefined)) this.fail(error);
          else this.scheduleRestart(restart);
        },
      );
    }, delayMs);
  }

  private fail(error: PipelineError): void {
    this.currentState = 'failed';
    this.emit('failed', error);
  }
}
