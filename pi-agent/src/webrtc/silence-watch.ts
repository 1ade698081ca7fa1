// Finds viewers that went silent: a browser receiving video sends RTCP receiver reports about
// every second (Chromium and werift: 0.5–1.5 s apart), so a joined viewer that sends nothing at all
// for SILENT_AFTER_MS is gone — a closed lid, a killed browser, Wi-Fi gone — long before ICE
// consent (~30 s) would say so. The window outlasts a 2–3 s network outage plus one report's gap.
// Viewers leaves out one handing over to a new connection: that hand-over decides. Time this
// process itself was not running (a frozen machine, a blocked event loop) is not a viewer's silence.

/** What the watch needs of a viewer: its connection's Date.now() of the last packet it sent us. */
export interface Heard {
  peer: { lastHeardAt(): number | undefined };
}

export const SILENT_AFTER_MS = 4000;
const CHECK_EVERY_MS = 200;
/**
 * A check this late means this process was not running (the machine suspended or frozen, the
 * event loop blocked): nothing anyone sent was read meanwhile, so quiet is counted from then.
 */
const STALLED_AFTER_MS = 1000;

export class SilenceWatch<T extends Heard> {
  private readonly timer: NodeJS.Timeout;

  /** `watched()` lists the joined viewers now; `silent` is told of each one that went quiet, once per check. */
  constructor(
    watched: () => Iterable<T>,
    silent: (viewer: T, quietMs: number) => void,
    private readonly afterMs = SILENT_AFTER_MS,
  ) {
    let lastCheck = Date.now();
    let listeningSince = lastCheck;
    this.timer = setInterval(() => {
      const now = Date.now();
      if (now - lastCheck > STALLED_AFTER_MS) listeningSince = now;
      lastCheck = now;
      for (const viewer of [...watched()]) {
        const heard = viewer.peer.lastHeardAt();
        if (heard === undefined) continue;
        const quiet = now - Math.max(heard, listeningSince);
        if (quiet >= this.afterMs) silent(viewer, now - heard);
      }
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** The reason a viewer is dropped with. */
  static reason(quietMs: number): string {
    return `it went silent: no packets for ${(quietMs / 1000).toFixed(1)} s (closed lid, killed browser, Wi-Fi gone)`;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
