import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Emitter } from '../events/emitter.ts';
import type { ViewerStats } from '../events/index.ts';
import type { Transport, TransportSample } from '../transport/transport.ts';

const STATS_INTERVAL_MS = 1000;

export interface StatsEvents {
  stats: ViewerStats;
}

/** Samples the playing connection about once a second, from watch(transport) until watch(undefined). */
export class StatsSampler extends Emitter<StatsEvents> implements ReactiveController {
  private transport: Transport | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private last: ViewerStats | undefined;
  /** The previous byte count, for the bitrate over the last interval. */
  private lastBytes: { bytes: number; at: number } | undefined;

  constructor(private readonly host: ReactiveControllerHost) {
    super();
    host.addController(this);
  }

  /** The latest sample of the connection being watched. */
  get stats(): ViewerStats | undefined {
    return this.last;
  }

  hostDisconnected(): void {
    this.watch(undefined);
  }

  /** Samples `transport` now and every second after; a new one starts afresh, undefined stops. */
  watch(transport: Transport | undefined): void {
    // Connected again after an interruption: the same connection, sampled on.
    if (transport && transport === this.transport) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.transport = transport;
    this.lastBytes = undefined;
    this.last = undefined;
    if (!transport) return;
    this.timer = setInterval(() => this.sample(transport), STATS_INTERVAL_MS);
    this.sample(transport);
  }

  private sample(transport: Transport): void {
    // A connection closing between two samples has none to give, and is no longer watched.
    transport.sample().then((sample) => this.took(transport, sample), () => undefined);
  }

  private took(transport: Transport, sample: TransportSample): void {
    if (transport !== this.transport) return;
    const { width, height, fps, packetsLost, framesDecoded, bytesReceived: bytes, at, rttMs } = sample;
    let kbps: number | null = null;
    if (bytes !== null && at !== null) {
      if (this.lastBytes && at > this.lastBytes.at) kbps = ((bytes - this.lastBytes.bytes) * 8) / (at - this.lastBytes.at);
      this.lastBytes = { bytes, at };
    }
    this.last = { width, height, fps, kbps, rttMs, packetsLost, framesDecoded };
    this.emit('stats', this.last);
    this.host.requestUpdate();
  }
}
