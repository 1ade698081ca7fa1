import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type WakeLockStatus = 'off' | 'held' | 'unavailable';

/**
 * Keeps the screen on while `wanted` (a phone showing its answer QR to the Pi's camera must not
 * dim or lock). The Screen Wake Lock API needs a secure context and Safari 16.4+; without it the
 * status is `unavailable` and nothing else changes. The browser drops the lock when the page is
 * hidden, so it is taken again when the page is shown.
 */
export class WakeLockController implements ReactiveController {
  status: WakeLockStatus = 'off';
  private sentinel: WakeLockSentinel | undefined;
  private wanted = false;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.set(false);
  }

  /** Hold the lock (true) or let it go (false). Idempotent; failures only change `status`. */
  set(wanted: boolean): void {
    if (wanted === this.wanted) return;
    this.wanted = wanted;
    if (wanted) void this.acquire();
    else {
      void this.sentinel?.release().catch(() => undefined);
      this.sentinel = undefined;
      this.update('off');
    }
  }

  private readonly onVisibility = (): void => {
    if (this.wanted && document.visibilityState === 'visible' && !this.sentinel) void this.acquire();
  };

  private async acquire(): Promise<void> {
    if (!('wakeLock' in navigator)) return this.update('unavailable');
    try {
      const sentinel = await navigator.wakeLock.request('screen');
      if (!this.wanted) {
        await sentinel.release();
        return;
      }
      this.sentinel = sentinel;
      sentinel.addEventListener('release', () => {
        if (this.sentinel === sentinel) this.sentinel = undefined;
      });
      this.update('held');
    } catch {
      // Refused (hidden page, battery saver, permissions policy): the screen may dim, nothing more.
      this.update('unavailable');
    }
  }

  private update(status: WakeLockStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.host.requestUpdate();
  }
}
