/**
 * How long nothing at all may arrive from the Pi before the path counts as quiet. While it plays,
 * the Pi sends some 30 video packets and an RTCP report a second, and a telemetry message every
 * second even while its encoder restarts, so 1.5 s of silence is a path that stopped carrying,
 * long before ICE says so (Chromium: ~6 s).
 */
export const QUIET_MS = 1500;
const EVERY_MS = 250;

/**
 * Watches the bytes a connection receives (its DTLS transport's count: video, RTCP and data
 * channel alike) and says when they stop (`true`) and when they flow again (`false`), once per
 * change: what a person sees as a frozen picture, while a changed network is being repaired.
 */
export class QuietWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private bytes = -1;
  private changedAt = 0;
  private quiet = false;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly said: (quiet: boolean) => void,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.changedAt = Date.now();
    this.timer = setInterval(() => void this.sample(), EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sample(): Promise<void> {
    let bytes = 0;
    try {
      (await this.pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'transport' && typeof s.bytesReceived === 'number') bytes += s.bytesReceived;
      });
    } catch {
      return;
    }
    if (this.timer === undefined) return;
    const now = Date.now();
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.changedAt = now;
      if (this.quiet) this.say(false);
    } else if (!this.quiet && now - this.changedAt >= QUIET_MS) {
      this.say(true);
    }
  }

  private say(quiet: boolean): void {
    this.quiet = quiet;
    this.said(quiet);
  }
}
