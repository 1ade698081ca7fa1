// The offer showing for the next viewer: one at a time, single-use, gone after its lifetime
// (--offer-ttl). Its peer waits, candidates gathered, for the answer that names its id.
import { EventEmitter } from 'node:events';
import { encodeBlob } from '@pigeon/signal';
import { hostAddresses } from '../webrtc/addresses.ts';
import { keepCandidates } from './candidates.ts';
import type { SessionEvent } from '../core/events.ts';
import { AgentError } from '../core/errors.ts';
import { OfferIds } from './offer-ids.ts';
import type { PeerConfig, PeerEngine, ViewerPeer } from '../webrtc/viewer-peer.ts';

export interface OffersOptions {
  peer: PeerConfig;
  /** The WebRTC engine each offer's peer is made on (engine-choice.ts). */
  engine: PeerEngine;
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
  /** The addresses its candidates carry: what a viewer would try to reach. */
  addresses: string[];
  /** This machine's addresses it could have carried when it was made (an address werift leaves out stays out). */
  around: string[];
}

const candidateAddresses = (sdp: string): string[] => [
  ...new Set(sdp.split(/\r?\n/).filter((line) => line.startsWith('a=candidate:')).map((line) => (line.split(' ')[4] ?? '').toLowerCase())),
];

export class Offers extends EventEmitter<OffersEvents> {
  private showing: Showing | undefined;
  private making: Promise<void> | undefined;
  private stopped = false;
  /** The addresses changed while an offer was being made: it is checked once shown. */
  private changedWhileMaking = false;
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

  /**
   * This machine's addresses are now `now`: the offer showing is replaced by a fresh one when an
   * address it carries is gone, or it carried none (made before Wi-Fi had one) and one it could
   * carry has come. Its id is retired as expired, so its answer is refused as one for an old code.
   */
  async addressesChanged(now: readonly string[], taken: (id: number) => boolean): Promise<void> {
    if (this.making) this.changedWhileMaking = true;
    const showing = this.showing;
    if (this.stopped || !showing) return;
    const why = this.staleBecause(showing, now);
    if (why === undefined) return;
    this.showing = undefined;
    clearTimeout(showing.timer);
    this.ids.expire(showing.id);
    this.emit('report', { type: 'offer-remade', offerId: showing.id, why, addresses: this.usable(now) });
    await showing.peer.close();
    await this.show(taken);
  }

  /** Why an offer carrying `carried` no longer serves, or undefined while it does. */
  private staleBecause({ addresses, around }: Showing, now: readonly string[]): string | undefined {
    const present = new Set(now.map((a) => a.toLowerCase()));
    const gone = addresses.filter((a) => !present.has(a));
    if (gone.length > 0) return `the address it carried (${gone.join(', ')}) is gone`;
    const came = this.usable(now).filter((a) => !around.includes(a));
    if (addresses.length === 0 && came.length > 0) return `it carried no address (made before the network was up) and ${came.join(', ')} appeared`;
    return undefined;
  }

  /** Of `now`, what an offer may carry: IPv4 unless --ipv6, only --ip/--interface's when given. */
  private usable(now: readonly string[]): string[] {
    const allowed = new Set(this.options.addresses.map((a) => a.toLowerCase()));
    return now.map((a) => a.toLowerCase()).filter((a) => (this.options.peer.ipv6 || !a.includes(':')) && (allowed.size === 0 || allowed.has(a)));
  }

  /** Throws the refusal for an answer to offer `id` unless that is the offer showing. */
  check(id: number): void {
    if (this.showing?.id !== id) throw this.ids.refusal(id);
  }

  /** The showing offer's peer, now spent: its answer came. Call `check` first. */
  take(): { id: number; peer: ViewerPeer } {
    const showing = this.showing;
    if (!showing) throw new AgentError('E_NO_OFFER_SHOWING', 'no offer is showing to take an answer for');
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
    const around = this.usable(hostAddresses());
    const { peer, sdp } = await this.options.engine.offer(this.options.peer);
    if (this.stopped) {
      await peer.close();
      return;
    }
    const id = this.ids.fresh(taken);
    const kept = keepCandidates(sdp, this.options.addresses);
    const blob = encodeBlob({ type: 'offer', sdp: kept }, { offerId: id });
    const expiresAt = new Date(Date.now() + this.options.offerTtlMs);
    const timer = setTimeout(() => void this.expire(id), this.options.offerTtlMs);
    timer.unref();
    this.showing = { id, peer, timer, addresses: candidateAddresses(kept), around };
    this.emit('report', { type: 'offer', offerId: id, blob, expiresAt });
    // The addresses changed while it was being made: it may already be stale.
    if (this.changedWhileMaking) setImmediate(() => void this.addressesChanged(hostAddresses(), taken));
    this.changedWhileMaking = false;
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
