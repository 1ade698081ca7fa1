// The viewers: an answer is matched to the offer showing by the id in the blob (offers.ts), and
// every connected viewer gets its codec's encoder RTP (fan-out.ts). Both are built and subscribed
// by the session (stream.ts), which hands them in. Refusing an answer never touches the viewers
// already watching. What happens is emitted as events: `report` for what the session shows,
// `codecs` for the camera, `channel-*` for the data-channel protocol. Viewers owns each viewer's
// ViewerPeer and listens to it; it removes only the listeners it added.
import { EventEmitter } from 'node:events';
import { decodeBlob, type EncodedBlob } from '@pigeon/signal';
import { answerWithPeer } from './answer-with-peer.ts';
import { AgentError } from '../core/errors.ts';
import type { SessionEvent } from '../core/events.ts';
import type { FanOut } from '../rtp/fan-out.ts';
import { departure } from './departure.ts';
import type { Offers } from './offers.ts';
import { subscribe } from '../core/subscribe.ts';
import type { PeerConfig, PeerEngine, PeerEvents, VideoCodec, ViewerPeer } from '../webrtc/viewer-peer.ts';
import { SilenceWatch } from '../webrtc/silence-watch.ts';
import { checkUsable } from './usable.ts';

export interface ViewersOptions {
  peer: PeerConfig;
  /** The WebRTC engine viewers' peers are made on (engine-choice.ts). */
  engine: PeerEngine;
  maxViewers: number;
  offerTtlMs: number;
  /** Pass viewers' keyframe requests (and joins) to the encoder; off only to measure. */
  keyframeOnJoin: boolean;
  /** Host addresses the offer may carry; empty for all werift gathered. */
  addresses: readonly string[];
}

export interface ViewersEvents {
  /** Offers shown and expired, viewers joining and leaving, their messages, hand-overs, refusals. */
  report: [event: SessionEvent];
  /**
   * Which codecs viewers receive (or are about to) whenever that changes, so an encoder that
   * nobody needs can stop and one that somebody needs can start before its viewer is up.
   */
  codecs: [codecs: ReadonlySet<VideoCodec>];
  /** A viewer's data channel opened (also a new connection's, once it has taken over). */
  'channel-open': [viewer: number, peer: ViewerPeer];
  'channel-message': [viewer: number, peer: ViewerPeer, text: string];
  /** A viewer's data-channel message refused unread (over the size cap, or in a flood). */
  'channel-refused': [viewer: number, peer: ViewerPeer, error: Error];
}

interface Viewer {
  id: number;
  peer: ViewerPeer;
  joined: boolean;
  /** Drops a viewer whose answer was taken but whose connection never came up. */
  deadline: NodeJS.Timeout;
  /** Takes off the listeners this Viewers put on `peer`, and only those. */
  unwatch: () => void;
  /** A new connection the viewer asked for over the data channel, until it takes over. */
  successor?: { peer: ViewerPeer; timer: NodeJS.Timeout; unwatch: () => void };
  /** Its path is being checked after our address changed: silence is expected until that check ends. */
  checkingPath?: boolean;
}

// Once the agent has a viewer's answer, ICE and DTLS take well under a second on a LAN (the
// viewer has been listening since it answered); past this the viewer is not coming.
const CONNECT_TIMEOUT_MS = 30_000;

function describeMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

export class Viewers extends EventEmitter<ViewersEvents> {
  private readonly viewers = new Map<number, Viewer>();
  private inUse = '';
  private stopped = false;
  /** Handshakes one at a time, in the order they came: the viewer limit holds across awaits. */
  private turn: Promise<unknown> = Promise.resolve();
  private readonly silence = new SilenceWatch(() => [...this.viewers.values()].filter((v) => v.joined && !v.successor && !v.checkingPath), (v, ms) => this.drop(v, SilenceWatch.reason(ms)));

  /**
   * `offers`: the offer showing (its events are the session's to subscribe); `fanOut`: each
   * codec's encoder output to the viewers receiving it (its `failed` reaches `sendingFailed`).
   */
  constructor(
    private readonly options: ViewersOptions,
    private readonly offers: Offers,
    private readonly fanOut: FanOut,
  ) {
    super();
  }

  /** Sending to `peer` failed (FanOut's `failed`): its viewer is dropped with that reason. */
  sendingFailed(peer: ViewerPeer, error: unknown): void {
    const viewer = [...this.viewers.values()].find((v) => v.peer === peer);
    if (viewer) this.drop(viewer, `sending to it failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** Every viewer whose connection is up, for messages to all. */
  joined(): { id: number; peer: ViewerPeer }[] {
    return [...this.viewers.values()].filter((v) => v.joined).map(({ id, peer }) => ({ id, peer }));
  }

  /** A viewer said it is leaving (its page's `bye`): its slot is free at once. */
  leave(id: number, reason: string): void {
    const viewer = this.viewers.get(id);
    if (viewer) this.drop(viewer, reason);
  }

  /** Shows an offer for the next viewer, unless one is showing or the agent is full. */
  offerNext(): Promise<void> {
    if (this.stopped || this.viewers.size >= this.options.maxViewers) return Promise.resolve();
    return this.offers.show((id) => this.viewers.has(id));
  }

  /** True while an offer is showing and waiting for its answer. */
  waiting(): boolean {
    return this.offers.waiting;
  }

  /** Keyframes from every encoder, e.g. after a data-channel request whose codec is not known. */
  requestKeyframes(): void {
    this.fanOut.requestKeyframes();
  }

  /** The viewer's answer to one of our offers: pasted text, or a scanned QR's bytes. Returns the viewer's id. */
  acceptAnswer(input: string | Uint8Array): Promise<number> {
    return this.inTurn(() => this.takeAnswer(input));
  }

  /** The browser offered (`pi-agent answer`): answer it and start sending. Returns the answer blob. */
  answerOffer(input: string): Promise<EncodedBlob> {
    return this.inTurn(() => this.takeOffer(input));
  }

  /**
   * A joined viewer's offer for a new connection to take over from its current one, sent over
   * the data channel (the page reconnecting, e.g. after a network change), so no new QR code is
   * needed. The old connection keeps playing until the new one is up, then is closed; if the new
   * one never comes up, the old one goes on untouched. Returns the answer blob.
   */
  async reconnect(id: number, offerText: string): Promise<EncodedBlob> {
    const offer = decodeBlob(offerText, { expect: 'offer' });
    checkUsable(offer, this.options.peer.codecs);
    const viewer = this.viewers.get(id);
    if (!viewer?.joined) throw new AgentError('E_RESIGNAL_STATE', `viewer #${id} is not connected, so it cannot hand over to a new connection`);
    if (viewer.successor) throw new AgentError('E_RESIGNAL_BUSY', 'a new connection for this viewer is already being set up');
    const { peer, blob } = await answerWithPeer(this.options.engine, this.options.peer, offer, this.options.addresses, CONNECT_TIMEOUT_MS);
    // Asked again, or gone, while this answer was being made.
    const changed =
      this.viewers.get(id) !== viewer
        ? new AgentError('E_RESIGNAL_STATE', `viewer #${id} left while its new connection was being answered`)
        : viewer.successor
          ? new AgentError('E_RESIGNAL_BUSY', 'a new connection for this viewer is already being set up')
          : undefined;
    if (changed) {
      await peer.close();
      throw changed;
    }
    const startedAt = Date.now();
    const timer = setTimeout(() => this.abandon(viewer, peer, `did not connect within ${CONNECT_TIMEOUT_MS / 1000} s`), CONNECT_TIMEOUT_MS);
    timer.unref();
    const unwatch = subscribe<PeerEvents>(peer, {
      state: (state) => {
        if (state === 'connected') this.takeOver(viewer, peer, startedAt);
        else if (state === 'failed' || state === 'closed') this.abandon(viewer, peer, state === 'failed' ? 'failed' : 'was closed');
      },
    });
    viewer.successor = { peer, timer, unwatch };
    this.emit('report', { type: 'reconnecting', viewer: id });
    return blob;
  }

  /**
   * This machine's addresses changed (DHCP renew, Wi-Fi roam): each viewer's path is checked from
   * where we are now, so a viewer that can still reach us carries on with no new code and no new
   * connection. Once it answers, its encoder makes a keyframe for what was lost meanwhile.
   */
  networkChanged(): void {
    for (const viewer of this.viewers.values()) {
      if (!viewer.joined) continue;
      const { peer } = viewer;
      viewer.checkingPath = true;
      void peer.checkPath().then((ms) => {
        viewer.checkingPath = false;
        if (ms === undefined || viewer.peer !== peer || this.viewers.get(viewer.id) !== viewer) return;
        if (this.options.keyframeOnJoin) this.fanOut.keyframe(peer);
        this.emit('report', { type: 'path-checked', viewer: viewer.id, ms });
      });
    }
  }

  /** This machine's addresses are now `now`: the offer showing is remade if it cannot be reached (offers.ts). */
  addressesChanged(now: readonly string[]): Promise<void> {
    return this.offers.addressesChanged(now, (id) => this.viewers.has(id));
  }

  /** Closes every viewer's connection; the offers and the fan-out are the session's to stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.silence.stop();
    for (const viewer of this.viewers.values()) {
      clearTimeout(viewer.deadline);
      if (viewer.successor) this.abandon(viewer, viewer.successor.peer);
    }
    await Promise.allSettled([...this.viewers.values()].map((v) => v.peer.close()));
    this.viewers.clear();
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async takeAnswer(input: string | Uint8Array): Promise<number> {
    const answer = decodeBlob(input, { expect: 'answer' });
    const id = answer.offerId;
    if (id === undefined) {
      throw new AgentError('E_NO_OFFER_ID', 'this answer does not say which offer it answers; answer the offer shown here');
    }
    this.offers.check(id);
    // A blob that could never connect is refused here, and the offer stays open for a good one.
    checkUsable(answer, this.options.peer.codecs);
    const { peer } = this.offers.take();
    const viewer = this.add(id, peer, CONNECT_TIMEOUT_MS, `did not connect within ${CONNECT_TIMEOUT_MS / 1000} s (same network as the Pi? a firewall?)`);
    try {
      await peer.acceptAnswer(answer.sdp);
    } catch (error) {
      this.drop(viewer, `its answer was refused by WebRTC: ${(error as Error).message}`);
      throw error;
    }
    // Its codec is known now: its encoder starts, and makes it a keyframe, while ICE and DTLS come up.
    this.reportCodecs();
    if (this.options.keyframeOnJoin) this.fanOut.keyframe(peer);
    return id;
  }

  private async takeOffer(input: string): Promise<EncodedBlob> {
    const offer = decodeBlob(input, { expect: 'offer' });
    checkUsable(offer, this.options.peer.codecs);
    if (this.viewers.size >= this.options.maxViewers) {
      throw new AgentError('E_FULL', `already ${this.viewers.size} viewers, the most this agent takes (--viewers)`);
    }
    const { peer, blob } = await answerWithPeer(this.options.engine, this.options.peer, offer, this.options.addresses, this.options.offerTtlMs);
    // Viewers are known by that id too, unless another viewer already has it.
    const id = offer.offerId !== undefined && !this.viewers.has(offer.offerId) ? offer.offerId : this.freshId();
    // The answer goes back by hand: the page may read it minutes from now, so it lives as long as an offer.
    const ttlMs = this.options.offerTtlMs;
    this.add(id, peer, ttlMs, `its answer was not read within ${describeMs(ttlMs)} (--offer-ttl); give the page's fresh offer to the agent`);
    this.reportCodecs();
    this.emit('report', { type: 'answer', viewer: id, blob, expiresAt: new Date(Date.now() + ttlMs) });
    return blob;
  }

  /** A viewer whose connection is on its way; dropped with `lateReason` if it is not up within `withinMs`. */
  private add(id: number, peer: ViewerPeer, withinMs: number, lateReason: string): Viewer {
    const viewer: Viewer = { id, peer, joined: false, deadline: setTimeout(() => this.drop(viewer, lateReason), withinMs), unwatch: () => undefined };
    viewer.deadline.unref();
    this.viewers.set(id, viewer);
    viewer.unwatch = this.watch(viewer);
    return viewer;
  }

  /** Listens to the viewer's current peer; returns what takes those listeners off again. */
  private watch(viewer: Viewer): () => void {
    const { peer, id } = viewer;
    const unsubscribe = subscribe<PeerEvents>(peer, {
      state: (state) => {
        if (state === 'connected' && !viewer.joined) {
          viewer.joined = true;
          clearTimeout(viewer.deadline);
          this.emit('report', { type: 'viewer-joined', viewer: id, viewers: this.watching() });
          // Its first frame should not wait for the periodic keyframe.
          this.fanOut.add(peer, this.options.keyframeOnJoin);
          void this.offerNext();
        } else if (state === 'failed' || state === 'closed') this.drop(viewer, departure(id, state, viewer.joined, peer.failure, (refusal) => this.emit('report', refusal)));
      },
      keyframe: () => {
        if (this.options.keyframeOnJoin) this.fanOut.keyframe(peer);
      },
      // Closed from its side: gone now, not when ICE consent gives up (~30 s). A connection that
      // is handing over to a new one may be closed by the page first; the new one carries on.
      gone: () => {
        if (viewer.peer === peer && !viewer.successor) this.drop(viewer, 'it closed the connection');
      },
      channelOpen: () => void this.emit('channel-open', id, peer),
      message: (text) => {
        this.emit('report', { type: 'message', viewer: id, text });
        this.emit('channel-message', id, peer, text);
      },
      refused: (error) => void this.emit('channel-refused', id, peer, error),
    });
    // A new connection's channel may have opened before it took over.
    if (peer.channelIsOpen) this.emit('channel-open', id, peer);
    return unsubscribe;
  }

  /** The new connection is up: it carries the viewer from now on, under the same number. */
  private takeOver(viewer: Viewer, next: ViewerPeer, startedAt: number): void {
    if (viewer.successor?.peer !== next || this.viewers.get(viewer.id) !== viewer) {
      void next.close();
      return;
    }
    clearTimeout(viewer.successor.timer);
    viewer.successor.unwatch();
    viewer.successor = undefined;
    const old = viewer.peer;
    // Its closing is the hand-over, not the viewer leaving.
    viewer.unwatch();
    this.fanOut.remove(old);
    viewer.peer = next;
    viewer.unwatch = this.watch(viewer);
    void old.close();
    this.emit('report', { type: 'reconnected', viewer: viewer.id, ms: Date.now() - startedAt });
    this.reportCodecs();
    // The new connection's first frame should not wait for the periodic keyframe either.
    this.fanOut.add(next, this.options.keyframeOnJoin);
  }

  /** A new connection that will not take over; `reason` is said when it is a failure, not a stop. */
  private abandon(viewer: Viewer, next: ViewerPeer, reason?: string): void {
    if (viewer.successor?.peer !== next) return;
    clearTimeout(viewer.successor.timer);
    viewer.successor.unwatch();
    viewer.successor = undefined;
    void next.close();
    if (reason === undefined) return;
    this.emit('report', {
      type: 'refused',
      code: 'E_RECONNECT_FAILED',
      reason: `viewer #${viewer.id}: its new connection ${reason}; it goes on over the old one while that lasts`,
    });
  }

  private drop(viewer: Viewer, reason: string): void {
    if (this.viewers.get(viewer.id) !== viewer) return;
    clearTimeout(viewer.deadline);
    if (viewer.successor) this.abandon(viewer, viewer.successor.peer);
    this.viewers.delete(viewer.id);
    this.fanOut.remove(viewer.peer);
    void viewer.peer.close();
    this.emit('report', { type: 'viewer-left', viewer: viewer.id, reason, viewers: this.watching() });
    this.reportCodecs();
    void this.offerNext();
  }

  /** Viewers whose connection is up: one still connecting is not watching yet. */
  private watching(): number {
    return [...this.viewers.values()].filter((v) => v.joined).length;
  }

  private reportCodecs(): void {
    const codecs = new Set<VideoCodec>();
    for (const viewer of this.viewers.values()) {
      const codec = viewer.peer.codec;
      if (codec) codecs.add(codec);
    }
    const key = [...codecs].sort().join(',');
    if (key === this.inUse) return;
    this.inUse = key;
    this.emit('codecs', codecs);
  }

  private freshId(): number {
    return this.offers.ids.fresh((id) => this.viewers.has(id) || this.offers.showingId() === id);
  }
}
