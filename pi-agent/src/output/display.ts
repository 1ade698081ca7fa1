// --display: the current offer QR on the Pi's own screen when no terminal shows it, with what the
// person at it needs to know beside it (screen-words.ts: what to do, refusals, viewers). One owner
// for the second, small gst-launch child; a change only rewrites the PNG it re-reads once a second.
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QrMatrix } from '@pigeon/qr';
import type { ShownEvent } from '../core/events.ts';
import { Pipeline } from '../gst/pipeline.ts';
import { buildDisplayPipeline } from '../gst/pipeline-spec.ts';
import { writePngFile } from './qr-png.ts';
import { screenPng } from './screen.ts';
import { ScreenWords } from './screen-words.ts';

export interface OfferDisplayEvents {
  /** The display could not show an offer (its pipeline did not start, the PNG could not be written). */
  failed: [error: unknown];
}

export class OfferDisplay extends EventEmitter<OfferDisplayEvents> {
  private pipeline: Pipeline | undefined;
  private chain: Promise<void> = Promise.resolve();
  private qr: QrMatrix | undefined;
  private readonly words = new ScreenWords();
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

  /** Follows the session's events: each new offer goes on screen, and whatever changes its words. */
  show(event: ShownEvent): void {
    if (event.type === 'offer') this.qr = event.qr;
    if (!this.words.follow(event) || !this.qr) return;
    const png = screenPng(this.qr, this.words.paragraphs());
    this.chain = this.chain.then(() => this.draw(png)).catch((error: unknown) => void this.emit('failed', error));
  }

  async stop(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.pipeline?.stop();
    await rm(this.file, { force: true });
  }

  private async draw(png: Buffer): Promise<void> {
    await writePngFile(this.file, png);
    if (this.pipeline) return;
    this.pipeline = new Pipeline(buildDisplayPipeline({ file: this.file, sink: this.sink }), { env: this.env });
    // A display pipeline that gives up later (the screen went away, restarts exhausted) is said too.
    this.pipeline.on('failed', (error) => this.emit('failed', error));
    await this.pipeline.start();
  }
}
