import type { StreamSettings } from '../../src/signal/index.ts';
import type { Emit } from './events.ts';
import { Pipeline } from './pipeline.ts';
import { buildPipeline, type PipelineOptions, type PipelineSpec } from './pipeline-spec.ts';

/**
 * The video the agent sends, as one object that outlives pipelines: it owns the current
 * gst-launch child (through Pipeline), reports its life as events, and, when a viewer asks
 * for other quality, replaces it with one built for the new settings. Viewers stay connected
 * across the swap; the RTP link sees a restart and carries each viewer's stream on.
 */
export interface CameraHooks {
  /** Bytes of the QR reader's frames (spec.scan). */
  scan?(chunk: Buffer): void;
  /** A pipeline reached PLAYING (first start, restart, or a settings change). */
  started?(pid: number): void;
  /** The pipeline gave up (gst-launch can no longer be run). */
  failed(error: Error): void;
}

export class Camera {
  private pipeline: Pipeline | undefined;
  private current: StreamSettings;
  readonly spec: PipelineSpec;

  constructor(
    private readonly base: PipelineOptions,
    private readonly run: { env: NodeJS.ProcessEnv; signal: AbortSignal; emit: Emit; hooks: CameraHooks },
  ) {
    this.current = { width: base.width, height: base.height, fps: base.fps, bitrate: base.bitrate };
    this.spec = buildPipeline(base);
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
    const spec = buildPipeline({ ...this.base, ...next });
    const previous = this.pipeline;
    this.pipeline = undefined;
    await previous?.stop();
    try {
      await this.launch(spec);
      this.current = { ...next };
    } catch (error) {
      await this.launch(buildPipeline({ ...this.base, ...this.current }));
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.pipeline?.stop();
  }

  private async launch(spec: PipelineSpec): Promise<void> {
    const { emit, hooks, env, signal } = this.run;
    const pipeline = new Pipeline(spec, { env, signal });
    this.pipeline = pipeline;
    pipeline.on('started', (pid) => {
      emit({ type: 'pipeline', state: 'started', pid });
      hooks.started?.(pid);
    });
    pipeline.on('exit', (code, signalName, stderrTail) => {
      const last = stderrTail.trim().split('\n').at(-1);
      emit({ type: 'pipeline', state: 'exited', detail: `exit ${code ?? signalName}${last ? `: ${last}` : ''}` });
    });
    pipeline.on('restarting', (_attempt, delayMs) => emit({ type: 'pipeline', state: 'restarting', delayMs }));
    pipeline.on('error', (error) => {
      if (this.pipeline === pipeline) hooks.failed(error);
    });
    if (hooks.scan) pipeline.on('scan', hooks.scan);
    await pipeline.start();
  }
}
