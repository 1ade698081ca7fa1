import { qrMatrix } from '@pigeon/qr';

/**
 * --source latency: frames made here, each a QR code of the wall clock (ms since the epoch) at
 * the moment it is handed to GStreamer. A viewer on the same machine reads the code from the
 * decoded video and subtracts: glass-to-glass latency with the codec, RTP, WebRTC and the
 * browser's decoder all inside the measurement.
 */
export class LatencySource {
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private blocked = false;

  constructor(
    private readonly width: number,
    private readonly height: number,
    private readonly fps: number,
    private readonly sink: () => NodeJS.WritableStream | undefined,
  ) {}

  start(): void {
    this.next = Date.now();
    this.tick();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One GRAY8 frame: white, with a QR code of `stamp` as large as fits. */
  frame(stamp: number): Buffer {
    const { width, height } = this;
    const frame = Buffer.alloc(width * height, 255);
    const matrix = qrMatrix(String(stamp));
    const scale = Math.floor((Math.min(width, height) * 0.9) / (matrix.size + 8));
    const left = Math.floor((width - matrix.size * scale) / 2);
    const top = Math.floor((height - matrix.size * scale) / 2);
    for (let my = 0; my < matrix.size; my++) {
      for (let mx = 0; mx < matrix.size; mx++) {
        if (!matrix.dark(mx, my)) continue;
        for (let y = 0; y < scale; y++) {
          const row = (top + my * scale + y) * width + left + mx * scale;
          frame.fill(0, row, row + scale);
        }
      }
    }
    return frame;
  }

  private tick(): void {
    const stream = this.sink();
    // A frame that would wait behind a full pipe would only measure the queue: drop it instead.
    if (stream && !this.blocked) {
      const ok = stream.write(this.frame(Date.now()));
      if (!ok) {
        this.blocked = true;
        stream.once('drain', () => (this.blocked = false));
      }
    }
    // Scheduled against the ideal times, so timer jitter does not add up into a slower rate.
    this.next += 1000 / this.fps;
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.next - Date.now()));
  }
}
