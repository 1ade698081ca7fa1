// Reads QR codes from the pipeline's small grey frames (fd 3 of gst-launch): the Pi's own camera
// reading the page's answer, so nobody types. It decodes only while an offer is waiting, and emits
// each code's bytes once (the same code stays in view for many frames).
import { EventEmitter } from 'node:events';
import jsQR from 'jsqr';
import type { ScanFrames } from '../gst/pipeline-spec.ts';

export interface QrScannerEvents {
  /** A code came into view (its bytes: a binary QR's frame, or a text QR's UTF-8). */
  code: [bytes: Uint8Array];
  /** The reader started or stopped looking (an offer began or stopped waiting). */
  looking: [active: boolean];
}

/** Whether an answer is awaited: the reader only decodes then. */
export interface AnswerAwaited {
  waiting(): boolean;
}

export class QrScanner extends EventEmitter<QrScannerEvents> {
  private readonly frameByteLength: number;
  private readonly rgba: Uint8ClampedArray;
  private pending: Buffer[] = [];
  private pendingByteLength = 0;
  private lastCode = '';
  private lastCodeAt = 0;
  private looking = false;

  constructor(
    private readonly size: ScanFrames,
    private readonly offers: AnswerAwaited,
  ) {
    super();
    this.frameByteLength = size.width * size.height;
    this.rgba = new Uint8ClampedArray(this.frameByteLength * 4).fill(255);
  }

  /** Bytes from the pipe, cut into whole frames. */
  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingByteLength += chunk.length;
    while (this.pendingByteLength >= this.frameByteLength) {
      const all = Buffer.concat(this.pending);
      const frame = all.subarray(0, this.frameByteLength);
      const rest = all.subarray(this.frameByteLength);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingByteLength = rest.length;
      this.frame(frame);
    }
  }

  /** A new pipeline run: its first byte starts a frame. */
  reset(): void {
    this.pending = [];
    this.pendingByteLength = 0;
  }

  private frame(gray: Buffer): void {
    const active = this.offers.waiting();
    if (active !== this.looking) {
      this.looking = active;
      this.emit('looking', active);
    }
    if (!active) return;
    for (let i = 0, j = 0; i < gray.length; i++, j += 4) {
      const v = gray[i]!;
      this.rgba[j] = v;
      this.rgba[j + 1] = v;
      this.rgba[j + 2] = v;
    }
    // A phone screen held to the camera may show light-on-dark; try both.
    const code = jsQR(this.rgba, this.size.width, this.size.height, { inversionAttempts: 'attemptBoth' });
    if (!code) return;
    const bytes = Uint8Array.from(code.binaryData);
    const key = Buffer.from(bytes).toString('base64');
    // The same code is still in view a moment later: one hand-over, until it changes or 30 s pass.
    if (key === this.lastCode && Date.now() - this.lastCodeAt < 30_000) return;
    this.lastCode = key;
    this.lastCodeAt = Date.now();
    this.emit('code', bytes);
  }
}
