// The video the agent sends, as one object that outlives pipelines: it owns the current
// gst-launch child (through Pipeline), reports its life as events, and, when a viewer asks for
// other quality, replaces it with one built for the new settings. Viewers stay connected across
// the swap; the RTP link sees a restart and carries each viewer's stream on.
import { EventEmitter } from 'node:events';
import type { StreamSettings } from '@pigeon/signal';
import { buildBranchPipeline } from './branch-spec.ts';
import type { PipelineError } from '../core/errors.ts';
import type { SessionEvent } from '../core/events.ts';
import type { VideoCodec } from '../webrtc/viewer-peer.ts';
import { Pipeline } from './pipeline.ts';
import { buildPipeline, type EncoderKind, type PipelineOptions, type PipelineSpec } from './pipeline-spec.ts';

export interface CameraEvents {
  /** Bytes of the QR reader's frames (spec.scan). */
  scan: [chunk: Buffer];
  /** A camera pipeline reached PLAYING (first start, restart, or a settings change). */
  started: [pid: number];
  /** The camera pipeline gave up (gst-launch can no longer be run). */
  failed: [error: PipelineError];
  /** Each line the camera pipeline prints on stdout (the frame tap's, frame-clock.ts). */
  stdout: [line: string];
  /** Either pipeline's life (started, exited, restarting), for the session to show. */
  report: [event: SessionEvent];
}

const BRANCH_RETRY_MS = 2000;

/** A second codec, encoded apart from the camera pipeline from its shared frames (branch-spec.ts). */
export interface BranchConfig {
  codec: VideoCodec;
  encoder: EncoderKind;
  socketPath: string;
  rtpPort: number;
  rtcpPort: number;
  rtcpInPort: number;
}

export class Camera extends EventEmitter<CameraEvents> {
  private pipeline: Pipeline | undefined;
  /** The second codec's pipeline while a viewer uses it. */
  private branchPipeline: Pipeline | undefined;
  private branchWanted = false;
  /** Starts and stops of the branch, one at a time, in the order asked. */
  private branchQueue: Promise<void> = Promise.resolve();
  private current: StreamSettings;
  readonly spec: PipelineSpec;

  constructor(
    private readonly base: PipelineOptions,
    private readonly run: { env: NodeJS.ProcessEnv; signal: AbortSignal },
    private readonly branch?: BranchConfig,
  ) {
    super();
    this.current = { width: base.width, height: base.height, fps: base.fps, bitrate: base.bitrate };
    this.spec = buildPipeline(branch ? { ...base, share: { socketPath: branch.socketPath } } : base);
  }

  /** Every element either pipeline needs, for checking before anything starts. */
  get elements(): PipelineSpec['elements'] {
    const branch = this.branch ? this.branchSpec(this.current).elements : [];
    return [...this.spec.elements, ...branch];
  }

  /** True while the second codec's encoder runs. */
  get branchRunning(): boolean {
    return this.branchPipeline !== undefined;
  }

  /**
   * Runs the second codec's encoder while `wanted` (a viewer receives that codec), and stops it
   * when nobody does. Failures are reported as pipeline events, never thrown.
   */
  useBranch(wanted: boolean): Promise<void> {
    this.branchWanted = wanted;
    this.branchQueue = this.branchQueue.then(() => this.settleBranch());
    return this.branchQueue;
  }

  settings(): StreamSettings {
    return { ...this.current };
  }

  /** The running child's stdin, for the latency source. */
  get input(): NodeJS.WritableStream | undefined {
    return this.pipeline?.input;
  }

  async start(): Promise<void> {
    await this.launch(this.spec);
  }

  /** Stops the running pipeline and starts one for `next`; on failure the old settings come back. */
  async applySettings(next: StreamSettings): Promise<void> {
    const share = this.branch ? { share: { socketPath: this.branch.socketPath } } : {};
    const spec = buildPipeline({ ...this.base, ...next, ...share });
    const previous = this.pipeline;
    this.pipeline = undefined;
    await previous?.stop();
    try {
      await this.launch(spec);
      this.current = { ...next };
    } catch (error) {
      await this.launch(buildPipeline({ ...this.base, ...this.current, ...share }));
      throw error;
    } finally {
      // The second encoder reads frames of the old size: it starts over with the new one.
      if (this.branchPipeline) {
        this.branchQueue = this.branchQueue.then(async () => {
          await this.stopBranch();
          await this.settleBranch();
        });
        await this.branchQueue;
      }
    }
  }

  async stop(): Promise<void> {
    this.branchWanted = false;
    await this.branchQueue;
    await this.stopBranch();
    await this.pipeline?.stop();
  }

  private branchSpec(settings: StreamSettings): PipelineSpec {
    const branch = this.branch!;
    return buildBranchPipeline({ ...this.base, ...settings, ...branch, payloadType: this.base.payloadType });
  }

  private async settleBranch(): Promise<void> {
    if (!this.branch) return;
    if (!this.branchWanted) return this.stopBranch();
    if (this.branchPipeline) return;
    const { env, signal } = this.run;
    const emit = (event: SessionEvent): void => void this.emit('report', event);
    const codec = this.branch.codec;
    const pipeline = new Pipeline(this.branchSpec(this.current), { env, signal, checkElements: false });
    this.branchPipeline = pipeline;
    pipeline.on('started', (pid) => emit({ type: 'pipeline', state: 'started', pid, codec }));
    pipeline.on('exit', (code, signalName, stderrTail) => {
      const last = stderrTail.trim().split('\n').at(-1);
      emit({ type: 'pipeline', state: 'exited', codec, detail: `exit ${code ?? signalName}${last ? `: ${last}` : ''}` });
    });
    pipeline.on('restarting', (_attempt, delayMs) => emit({ type: 'pipeline', state: 'restarting', delayMs, codec }));
    pipeline.on('failed', (error) => {
      // Its viewers lose their video; the camera's own viewers play on.
      emit({ type: 'pipeline', state: 'exited', codec, detail: error.message });
      if (this.branchPipeline === pipeline) this.branchPipeline = undefined;
    });
    try {
      await pipeline.start();
    } catch (error) {
      if (this.branchPipeline === pipeline) this.branchPipeline = undefined;
      emit({ type: 'pipeline', state: 'exited', codec, detail: error instanceof Error ? error.message : String(error) });
      // E.g. the camera pipeline was restarting and had no frames to share yet: try again while wanted.
      if (!signal.aborted) setTimeout(() => void this.useBranch(this.branchWanted), BRANCH_RETRY_MS).unref();
    }
  }

  private async stopBranch(): Promise<void> {
    const pipeline = this.branchPipeline;
    this.branchPipeline = undefined;
    await pipeline?.stop();
  }

  private async launch(spec: PipelineSpec): Promise<void> {
    const { env, signal } = this.run;
    const emit = (event: SessionEvent): void => void this.emit('report', event);
    const pipeline = new Pipeline(spec, { env, signal });
    this.pipeline = pipeline;
    pipeline.on('started', (pid) => {
      emit({ type: 'pipeline', state: 'started', pid });
      this.emit('started', pid);
    });
    pipeline.on('exit', (code, signalName, stderrTail) => {
      const last = stderrTail.trim().split('\n').at(-1);
      emit({ type: 'pipeline', state: 'exited', detail: `exit ${code ?? signalName}${last ? `: ${last}` : ''}` });
    });
    pipeline.on('restarting', (_attempt, delayMs) => emit({ type: 'pipeline', state: 'restarting', delayMs }));
    pipeline.on('failed', (error) => {
      if (this.pipeline === pipeline) this.emit('failed', error);
    });
    pipeline.on('scan', (chunk) => this.emit('scan', chunk));
    pipeline.on('output', (stream, line) => {
      if (stream === 'stdout') this.emit('stdout', line);
    });
    await pipeline.start();
  }
}
