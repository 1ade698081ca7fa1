// The offer showing for the next viewer: one at a time, single-use, gone after its lifetime
// (--offer-ttl). Its peer waits, candidates gathered, for the answer that names its id.
import { EventEmitter } from 'node:events';
import { encodeBlob } from '../../src/signal/index.ts';
import { keepCandidates } from './candidates.ts';
import type { SessionEvent } from './events.ts';
import { OfferIds } from './offer-ids.ts';
import { ViewerPeer, type PeerConfig } from './peer.ts';

export interface OffersOptions {
  peer: PeerConfig;
  offerTtlMs: number;
  /** Host addresses the offer may carry; empty for all werift gathered. */
  addresses: readonly string[];
}

export interface OffersEvents {
  /** An offer shown, or one expired. */
  report: [event: SessionEvent];
  /** The offer showing expired unanswered; its peer is closed and its port free. */
  expired: [offerId: number];
}

interface Showing {
  id: number;
  peer: ViewerPeer;
  timer: NodeJS.Timeout;
}

export class Offers extends EventEmitter<OffersEvents> {
  private showing: Showing | undefined;
  private making: Promise<void> | undefined;
  private stopped = false;
  readonly ids = new OfferIds();

  constructor(private readonly options: OffersOptions) {
    super();
  }

  /** True while an offer is showing and waiting for its answer. */
  get waiting(): boolean {
    return this.showing !== undefined;
  }

  /** True while an offer is showing or being made. */
  get busy(): boolean {
    return this.showing !== undefined || this.making !== undefined;
  }

  /** The id of the offer showing, if any: not free for another offer or viewer. */
  showingId(): number | undefined {
    return this.showing?.id;
  }

  /** Makes and shows an offer, with an id that `taken` does not hold; nothing if one is showing or on its way. */
  show(taken: (id: number) => boolean): Promise<void> {
    if (this.stopped || this.busy) return this.making ?? Promise.resolve();
    this.making = this.make(taken).finally(() => (this.making = undefined));
    return this.making;
  }

  /** Throws the refusal for an answer to offer `id` unless that is the offer showing. */
  check(id: number): void {
    if (this.showing?.id !== id) throw this.ids.refusal(id);
  }

  /** The showing offer's peer, now spent: its answer came. Call `check` first. */
  take(): { id: number; peer: ViewerPeer } {
    const showing = this.showing;
    if (!showing) throw new Error('no offer is showing');
    clearTimeout(showing.timer);
    this.showing = undefined;
    this.ids.spend(showing.id);
    return { id: showing.id, peer: showing.peer };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.making?.catch(() => undefined);
    const showing = this.showing;
    this.showing = undefined;
    if (!showing) return;
    clearTimeout(showing.timer);
    await showing.peer.close();
  }

  private async make(taken: (id: number) => boolean): Promise<void> {
    const { peer, sdp } = await ViewerPeer.offer(this.options.peer);
    if (this.stopped) {
      await peer.close();
      return;
    }
    const id = this.ids.fresh(taken);
    const blob = encodeBlob({ type: 'offer', sdp: keepCandidates(sdp, this.options.addresses) }, { offerId: id });
    const expiresAt = new Date(Date.now() + this.options.offerTtlMs);
    const timer = setTimeout(() => void this.expire(id), this.options.offerTtlMs);
    timer.unref();
    this.showing = { id, peer, timer };
    this.emit('report', { type: 'offer', offerId: id, blob, expiresAt });
  }

  private async expire(id: number): Promise<void> {
    const showing = this.showing;
    if (showing?.id !== id) return;
    this.showing = undefined;
    this.ids.expire(id);
    this.emit('report', { type: 'offer-expired', offerId: id });
    await showing.peer.close();
    this.emit('expired', id);
  }
}
