// GStreamer webrtcbin as a third WebRTC stack for tests and benchmarks: a Python child
// (webrtcbin-peer.py, python3-gi) driven over JSON lines. `send` is a reference H.264 sender
// like the Pi agent's pipeline; `receive` answers an offer and decodes the video.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's python3, which has python3-gi; a pyenv `python3` on PATH does not. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./webrtcbin-peer.py', import.meta.url));

/** What to install (Debian 12) when `webrtcbinAvailable()` is false. */
export const WEBRTCBIN_PACKAGES = 'python3-gi gir1.2-gst-plugins-bad-1.0 gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-plugins-ugly';

export type WebrtcbinRole = 'send' | 'receive';

export interface WebrtcbinOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** kbit/s for x264enc (send role). */
  bitrate?: number;
  /** webrtcbin's bundle-policy (default max-bundle, as the agent uses). */
  bundlePolicy?: 'max-bundle' | 'balanced' | 'max-compat' | 'none';
  /** How long to wait for the pipeline to play (default 10 s). */
  startTimeoutMs?: number;
  /** How long offer()/answer()/acceptAnswer() wait (default 10 s). */
  timeoutMs?: number;
}

export type WebrtcbinErrorCode =
  | 'E_WEBRTCBIN_EXIT' // the child exited (or never started) before what was waited for
  | 'E_WEBRTCBIN_FAILED' // the child reported a fatal error
  | 'E_WEBRTCBIN_TIMEOUT'; // what was waited for did not come in time

export class WebrtcbinError extends Error {
  override name = 'WebrtcbinError';
  readonly code: WebrtcbinErrorCode;
  /** The tail of the child's stderr when the error was made. */
  readonly stderr: string;

  constructor(code: WebrtcbinErrorCode, message: string, stderr: string, options?: { cause?: unknown }) {
    super(stderr.trim() === '' ? message : `${message}\n--- webrtcbin-peer stderr (tail) ---\n${stderr.trimEnd()}`, options);
    this.code = code;
    this.stderr = stderr;
  }
}

/** The lines webrtcbin-peer.py prints. */
type PeerLine =
  | { type: 'offer' | 'answer'; sdp: string }
  | { event: 'ready'; role: WebrtcbinRole; pid: number }
  | { event: 'state'; gathering?: string; ice?: string; connection?: string }
  | { event: 'remote-description-set' }
  | { event: 'data-channel'; label: string }
  | { event: 'frame'; count: number; at: number }
  | { event: 'error'; message: string };

interface Waiter {
  pick: (line: PeerLine) => boolean;
  resolve: (line: PeerLine) => void;
  reject: (error: WebrtcbinError) => void;
}

const STDERR_TAIL = 4000;
const live = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;

/** True when python3-gi can load GstWebRTC and GStreamer has webrtcbin. */
export function webrtcbinAvailable(): boolean {
  const check = [
    'import gi',
    "gi.require_version('Gst', '1.0')",
    "gi.require_version('GstWebRTC', '1.0')",
    "gi.require_version('GstSdp', '1.0')",
    'from gi.repository import Gst, GstWebRTC, GstSdp',
    'Gst.init(None)',
    "assert Gst.ElementFactory.find('webrtcbin')",
  ].join('; ');
  return spawnSync(PYTHON, ['-c', check], { stdio: 'ignore', timeout: 15_000 }).status === 0;
}

export class WebrtcbinPeer {
  readonly role: WebrtcbinRole;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly timeoutMs: number;
  private readonly lines: PeerLine[] = [];
  private readonly waiters = new Set<Waiter>();
  private stderrTail = '';
  /** Set once the child has exited or reported a fatal error; every later wait fails with it. */
  private failure: WebrtcbinError | undefined;
  private readonly exited: Promise<void>;
  private frameCount = 0;

  private constructor(role: WebrtcbinRole, opts: WebrtcbinOptions) {
    this.role = role;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    const args = [SCRIPT, role];
    for (const key of ['width', 'height', 'fps', 'bitrate'] as const) {
      const value = opts[key];
      if (value !== undefined) args.push(`--${key}`, String(value));
    }
    if (opts.bundlePolicy) args.push('--bundle-policy', opts.bundlePolicy);
    this.child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(this.child);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const child of live) child.kill('SIGKILL');
      });
    }
    this.exited = new Promise<void>((resolve) => {
      this.child.once('close', (code, signal) => {
        live.delete(this.child);
        this.fail(new WebrtcbinError('E_WEBRTCBIN_EXIT', `webrtcbin-peer ${role} exited (${signal ?? `code ${code}`})`, this.stderrTail));
        resolve();
      });
    });
    this.child.once('error', (error) => {
      this.fail(new WebrtcbinError('E_WEBRTCBIN_EXIT', `could not run ${PYTHON} ${SCRIPT}: ${error.message}`, this.stderrTail, { cause: error }));
    });
    // Writing to a child that has gone is reported through the exit, not as an unhandled EPIPE.
    this.child.stdin.on('error', () => undefined);
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
    });
    this.readLines();
  }

  /** Spawns the peer and waits until its pipeline plays. The send role then starts its offer. */
  static async start(role: WebrtcbinRole, opts: WebrtcbinOptions = {}): Promise<WebrtcbinPeer> {
    const peer = new WebrtcbinPeer(role, opts);
    try {
      await peer.waitFor('the pipeline to play ({"event":"ready"})', opts.startTimeoutMs ?? 10_000, (l) => 'event' in l && l.event === 'ready');
    } catch (error) {
      await peer.close();
      throw error;
    }
    return peer;
  }

  /** Send role: the offer SDP, with every ICE candidate in it. */
  async offer(timeoutMs = this.timeoutMs): Promise<string> {
    this.expectRole('send', 'offer()');
    const line = await this.waitFor('the offer (ICE gathering complete)', timeoutMs, (l) => 'type' in l && l.type === 'offer');
    return (line as { sdp: string }).sdp;
  }

  /** Send role: applies the far side's answer; resolves once webrtcbin has taken it. */
  async acceptAnswer(sdp: string, timeoutMs = this.timeoutMs): Promise<void> {
    this.expectRole('send', 'acceptAnswer()');
    this.write({ type: 'answer', sdp });
    await this.waitFor('webrtcbin to set the remote answer', timeoutMs, (l) => 'event' in l && l.event === 'remote-description-set');
  }

  /** Receive role: answers the offer; the answer SDP, with every ICE candidate in it. */
  async answer(offerSdp: string, timeoutMs = this.timeoutMs): Promise<string> {
    this.expectRole('receive', 'answer()');
    this.write({ type: 'offer', sdp: offerSdp });
    const line = await this.waitFor('the answer (ICE gathering complete)', timeoutMs, (l) => 'type' in l && l.type === 'answer');
    return (line as { sdp: string }).sdp;
  }

  /** Resolves when webrtcbin's peer connection state is 'connected'. */
  async connected(timeoutMs = this.timeoutMs): Promise<void> {
    await this.waitFor("connection-state 'connected'", timeoutMs, (l) => 'event' in l && l.event === 'state' && l.connection === 'connected');
  }

  /** Receive role: epoch ms at which the first frame came out of the decoder. */
  async firstFrameAt(timeoutMs = this.timeoutMs): Promise<number> {
    this.expectRole('receive', 'firstFrameAt()');
    const line = await this.waitFor('the first decoded frame', timeoutMs, (l) => 'event' in l && l.event === 'frame');
    return (line as { at: number }).at;
  }

  /** Receive role: frames decoded so far, as last reported (the first, then every 30th). */
  frames(): number {
    return this.frameCount;
  }

  /** Labels of data channels the far side opened (receive role). */
  dataChannels(): string[] {
    return this.lines.flatMap((l) => ('event' in l && l.event === 'data-channel' ? [l.label] : []));
  }

  /** Closes stdin so the child tears its pipeline down; kills it if it has not gone in 5 s. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  private expectRole(role: WebrtcbinRole, method: string): void {
    if (this.role !== role) throw new Error(`${method} is for the ${role} role; this peer is ${this.role}`);
  }

  private write(command: { type: 'offer' | 'answer'; sdp: string }): void {
    if (this.failure) throw this.failure;
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  private readLines(): void {
    let pending = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (text !== '') this.onLine(text);
      }
    });
  }

  private onLine(text: string): void {
    let line: PeerLine;
    try {
      line = JSON.parse(text) as PeerLine;
    } catch {
      this.stderrTail = `${this.stderrTail}[stdout, not JSON] ${text}\n`.slice(-STDERR_TAIL);
      return;
    }
    if ('event' in line && line.event === 'frame') {
      this.frameCount = Math.max(this.frameCount, line.count);
      // Only the first frame is ever waited for; later counts need not pile up.
      if (line.count > 1) return;
    }
    this.lines.push(line);
    for (const waiter of this.waiters) {
      if (waiter.pick(line)) waiter.resolve(line);
    }
    if ('event' in line && line.event === 'error') {
      this.fail(new WebrtcbinError('E_WEBRTCBIN_FAILED', `webrtcbin-peer ${this.role}: ${line.message}`, this.stderrTail));
    }
  }

  private fail(error: WebrtcbinError): void {
    this.failure ??= error;
    for (const waiter of this.waiters) waiter.reject(this.failure);
  }

  /** The first line (already seen or still to come) that `pick` accepts, within `timeoutMs`. */
  private waitFor(what: string, timeoutMs: number, pick: (line: PeerLine) => boolean): Promise<PeerLine> {
    const seen = this.lines.find(pick);
    if (seen) return Promise.resolve(seen);
    if (this.failure) {
      return Promise.reject(new WebrtcbinError(this.failure.code, `while waiting for ${what}: ${this.failure.message}`, '', { cause: this.failure }));
    }
    return new Promise<PeerLine>((resolve, reject) => {
      const waiter: Waiter = {
        pick,
        resolve: (line) => {
          settle();
          resolve(line);
        },
        reject: (error) => {
          settle();
          reject(new WebrtcbinError(error.code, `while waiting for ${what}: ${error.message}`, '', { cause: error }));
        },
      };
      const timer = setTimeout(() => {
        settle();
        reject(new WebrtcbinError('E_WEBRTCBIN_TIMEOUT', `webrtcbin-peer ${this.role}: timed out after ${timeoutMs} ms waiting for ${what} (${this.states()})`, this.stderrTail));
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  /** The last reported ICE and connection states, for messages. */
  private states(): string {
    const last = (key: 'gathering' | 'ice' | 'connection'): string => {
      for (let i = this.lines.length - 1; i >= 0; i--) {
        const line = this.lines[i];
        if (line && 'event' in line && line.event === 'state' && line[key] !== undefined) return line[key];
      }
      return 'none yet';
    };
    return `gathering=${last('gathering')} ice=${last('ice')} connection=${last('connection')}`;
  }
}
