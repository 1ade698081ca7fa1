// This machine's network addresses, watched: a DHCP renew, a Wi-Fi roam or a moved cable changes
// them under viewers that are watching. Node has no change notification, so they are polled; one
// getifaddrs() a second is nothing next to the video.
import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';

export interface AddressWatchEvents {
  /** The set of non-loopback addresses differs from the last poll: the new set, sorted. */
  changed: [addresses: readonly string[]];
}

type ReadInterfaces = typeof networkInterfaces;

/** The non-loopback addresses of `read()`, sorted, IPv6 without a zone. */
export function hostAddresses(read: ReadInterfaces = networkInterfaces): string[] {
  const all = Object.values(read()).flatMap((infos) => infos ?? []);
  return [...new Set(all.filter((info) => !info.internal).map((info) => info.address.split('%')[0]!))].sort();
}

export class AddressWatch extends EventEmitter<AddressWatchEvents> {
  private timer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    private readonly everyMs = 1000,
    private readonly read: ReadInterfaces = networkInterfaces,
  ) {
    super();
  }

  start(): void {
    if (this.timer) return;
    this.last = hostAddresses(this.read).join(' ');
    this.timer = setInterval(() => this.poll(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
    const now = hostAddresses(this.read);
    const key = now.join(' ');
    if (key === this.last) return;
    this.last = key;
    this.emit('changed', now);
  }
}
