// --display: the current offer QR on the Pi's own screen when no terminal shows it. One owner for
// the second, small gst-launch child; a new offer only rewrites the PNG it re-reads.
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QrMatrix } from '../../src/qr/matrix.ts';
import type { ShownEvent } from './events.ts';
import { Pipeline } from './pipeline.ts';
import { buildDisplayPipeline } from './pipeline-spec.ts';
import { writeQrPng } from './qr-png.ts';

export interface OfferDisplayEvents {
  /** The display could not show an offer (its pipeline did not start, the PNG could not be written). */
  failed: [error: unknown];
}

export class OfferDisplay extends EventEmitter<OfferDisplayEvents> {
  private pipeline: Pipeline | undefined;
  private chain: Promise<void> = Promise.resolve();
  readonly file: string;

  constructor(
    private readonly sink: string,
    private readonly env: NodeJS.ProcessEnv,
    file?: string,
  ) {
    super();
    this.file = file ?? join(tmpdir(), `pigeon-offer-${process.pid}.png`);
  }

  /** The sink for this machine: a desktop's window, or HDMI straight through KMS. */
  static defaultSink(env: NodeJS.ProcessEnv): string {
    return env.DISPLAY || env.WAYLAND_DISPLAY ? 'autovideosink' : 'kmssink';
  }

  /** Follows the session's events: each new offer goes on screen. */
  show(event: ShownEvent): void {
    if (event.type !== 'offer') return;
    this.chain = this.chain.then(() => this.draw(event.qr)).catch((error: unknown) => void this.emit('failed', error));
  }

  async stop(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.pipeline?.stop();
    await rm(this.file, { force: true });
  }

  private async draw(qr: QrMatrix): Promise<void> {
    // Large modules: the code is read from across a desk.
    await writeQrPng(this.file, qr, 16);
    if (this.pipeline) return;
    this.pipeline = new Pipeline(buildDisplayPipeline({ file: this.file, sink: this.sink }), { env: this.env });
    await this.pipeline.start();
  }
}
