import { randomInt } from 'node:crypto';
import { qrMatrix } from '../../src/qr/matrix.ts';
import { decodeBlob, encodeBlob, type DecodedBlob, type EncodedBlob } from '../../src/signal/index.ts';
import { keepCandidates } from './candidates.ts';
import { KeyframeCache } from './keyframe-cache.ts';
import { AgentError } from './errors.ts';
import type { Emit } from './events.ts';
import { ViewerPeer, type PeerConfig, type VideoCodec } from './peer.ts';
import type { RtpIn } from './rtp-in.ts';
import { checkUsable } from './usable.ts';

/**
 * Offers and viewers: each offer is single-use and expires; an answer is matched to its offer by
 * the id in the blob; every connected viewer gets the same encoder's RTP. Refusing an answer
 * never touches the viewers already watching.
 */
export interface ViewersOptions {
  peer: PeerConfig;
  maxViewers: number;
  offerTtlMs: number;
  /** Pass viewers' keyframe requests (and joins) to the encoder; off only to measure. */
  keyframeOnJoin: boolean;
  /** Host addresses the offer may carry; empty for all werift gathered. */
  addresses: readonly string[];
  emit: Emit;
  /**
   * Told which codecs viewers receive (or are about to) whenever that changes, so an encoder
   * that nobody needs can stop and one that somebody needs can start before its viewer is up.
   */
  codecsInUse?(codecs: ReadonlySet<VideoCodec>): void;
  /** The data-channel protocol, told when a viewer's channel opens and what it says. */
  channel?: {
    open(viewer: number, peer: ViewerPeer): void;
    message(viewer: number, peer: ViewerPeer, text: string): void;
  };
}

interface Pending {
  id: number;
  peer: ViewerPeer;
  timer: NodeJS.Timeout;
}

interface Viewer {
  id: number;
  peer: ViewerPeer;
  joined: boolean;
  /** Drops a viewer whose answer was taken but whose connection never came up. */
  deadline: NodeJS.Timeout;
  /** A new connection the viewer asked for over the data channel, until it takes over. */
  successor?: { peer: ViewerPeer; timer: NodeJS.Timeout };
}

// Remember this many spent ids to tell "used" and "expired" apart from "unknown".
const HISTORY = 256;
// Once the agent has a viewer's answer, ICE and DTLS take well under a second on a LAN (the
// viewer has been listening since it answered); past this the viewer is not coming.
const CONNECT_TIMEOUT_MS = 30_000;

function describeMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

export class Viewers {
  private pending: Pending | undefined;
  private making: Promise<void> | undefined;
  private readonly viewers = new Map<number, Viewer>();
  private readonly used = new Set<number>();
  private readonly expired = new Set<number>();
  /** Per codec: the last packet's sequence number, SSRC and time, to notice an encoder restart. */
  private readonly last = new Map<VideoCodec, { seq: number; ssrc: number; at: number }>();
  private inUse = '';
  private stopped = false;
  private readonly keyframes = new Map<VideoCodec, KeyframeCache>();

  /** `rtp`: each codec's encoder output; a viewer gets the one for the codec its browser chose. */
  constructor(
    private readonly options: ViewersOptions,
    private readonly rtp: ReadonlyMap<VideoCodec, RtpIn>,
  ) {
    for (const [codec, input] of rtp) {
      this.keyframes.set(codec, new KeyframeCache(codec));
      input.onPacket = (packet) => this.forward(codec, packet);
    }
  }

  get count(): number {
    return this.viewers.size;
  }

  ids(): number[] {
    return [...this.viewers.keys()];
  }

  peerOf(id: number): ViewerPeer | undefined {
    return this.viewers.get(id)?.peer;
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
    if (this.stopped || this.pending || this.making || this.viewers.size >= this.options.maxViewers) return Promise.resolve();
    this.making = this.makeOffer().finally(() => (this.making = undefined));
    return this.making;
  }

  /** True while an offer is showing and waiting for its answer. */
  waiting(): boolean {
    return this.pending !== undefined;
  }

  /** The viewer's answer to one of our offers: pasted text, or a scanned QR's bytes. */
  async acceptAnswer(input: string | Uint8Array): Promise<number> {
    const answer = decodeBlob(input, { expect: 'answer' });
    const id = answer.offerId;
    if (id === undefined) {
      throw new AgentError('E_NO_OFFER_ID', 'this answer does not say which offer it answers; answer the offer shown here');
    }
    const pending = this.pending;
    if (!pending || pending.id !== id) {
      if (this.used.has(id)) throw new AgentError('E_OFFER_USED', `offer #${id} was already answered; scan the offer shown now`);
      if (this.expired.has(id)) throw new AgentError('E_OFFER_EXPIRED', `offer #${id} has expired; scan the offer shown now`);
      throw new AgentError('E_OFFER_UNKNOWN', `this answers offer #${id}, which this agent did not make (another Pi, or an earlier run?)`);
    }
    // A blob that could never connect is refused here, and the offer stays open for a good one.
    checkUsable(answer, this.options.peer.codecs);
    clearTimeout(pending.timer);
    this.pending = undefined;
    this.remember(this.used, id);
    const viewer = this.add(id, pending.peer, CONNECT_TIMEOUT_MS, `did not connect within ${CONNECT_TIMEOUT_MS / 1000} s (same network as the Pi? a firewall?)`);
    try {
      await pending.peer.acceptAnswer(answer.sdp);
    } catch (error) {
      this.drop(viewer, `its answer was refused by WebRTC: ${(error as Error).message}`);
      throw error;
    }
    // Its codec is known now: its encoder starts, and makes it a keyframe, while ICE and DTLS come up.
    this.reportCodecs();
    if (this.options.keyframeOnJoin) this.keyframe(pending.peer);
    return id;
  }

  /** The browser offered (`pi-agent answer`): answer it and start sending. Returns the answer blob. */
  async answerOffer(input: string): Promise<string> {
    const offer = decodeBlob(input, { expect: 'offer' });
    checkUsable(offer, this.options.peer.codecs);
    if (this.viewers.size >= this.options.maxViewers) {
      throw new AgentError('E_FULL', `already ${this.viewers.size} viewers, the most this agent takes (--viewers)`);
    }
    const { peer, blob } = await this.answer(offer);
    // Viewers are known by that id too, unless another viewer already has it.
    const id = offer.offerId !== undefined && !this.viewers.has(offer.offerId) ? offer.offerId : this.freshId();
    // The answer goes back by hand: the page may read it minutes from now, so it lives as long as an offer.
    const ttlMs = this.options.offerTtlMs;
    this.add(id, peer, ttlMs, `its answer was not read within ${describeMs(ttlMs)} (--offer-ttl); give the page's fresh offer to the agent`);
    this.reportCodecs();
    this.options.emit({
      type: 'answer',
      viewer: id,
      text: blob.text,
      bytes: blob.bytes.length,
      qrVersion: qrMatrix(blob.bytes).version,
      expiresAt: new Date(Date.now() + ttlMs).toISOString(),
    });
    return blob.text;
  }

  /**
   * A joined viewer's offer for a new connection to take over from its current one, sent over
   * the data channel (the page reconnecting, e.g. after a network change), so no new QR code is
   * needed. The old connection keeps playing until the new one is up, then is closed; if the new
   * one never comes up, the old one goes on untouched. Returns the answer blob's text.
   */
  async reconnect(id: number, offerText: string): Promise<string> {
    const offer = decodeBlob(offerText, { expect: 'offer' });
    checkUsable(offer, this.options.peer.codecs);
    const viewer = this.viewers.get(id);
    if (!viewer?.joined) throw new AgentError('E_RESIGNAL_STATE', `viewer #${id} is not connected, so it cannot hand over to a new connection`);
    if (viewer.successor) throw new AgentError('E_RESIGNAL_BUSY', 'a new connection for this viewer is already being set up');
    const { peer, blob } = await this.answer(offer);
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
    viewer.successor = { peer, timer };
    peer.on('state', (state) => {
      if (state === 'connected') this.takeOver(viewer, peer, startedAt);
      else if (state === 'failed' || state === 'closed') this.abandon(viewer, peer, state === 'failed' ? 'failed' : 'was closed');
    });
    this.options.emit({ type: 'reconnecting', viewer: id });
    return blob.text;
  }

  /** A new peer answering `offer`, and its answer as a blob; the peer is closed if that cannot be made. */
  private async answer(offer: DecodedBlob): Promise<{ peer: ViewerPeer; blob: EncodedBlob }> {
    const { peer, sdp } = await ViewerPeer.answer(this.options.peer, offer.sdp);
    try {
      // The answer carries the page's own offer id back, so the page can match it to its offer.
      const options = offer.offerId === undefined ? {} : { offerId: offer.offerId };
      return { peer, blob: encodeBlob({ type: 'answer', sdp: keepCandidates(sdp, this.options.addresses) }, options) };
    } catch (error) {
      await peer.close();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.making?.catch(() => undefined);
    if (this.pending) {
      clearTimeout(this.pending.timer);
      await this.pending.peer.close();
      this.pending = undefined;
    }
    for (const viewer of this.viewers.values()) {
      clearTimeout(viewer.deadline);
      if (viewer.successor) this.abandon(viewer, viewer.successor.peer);
    }
    await Promise.allSettled([...this.viewers.values()].map((v) => v.peer.close()));
    this.viewers.clear();
  }

  private async makeOffer(): Promise<void> {
    const { peer, sdp } = await ViewerPeer.offer(this.options.peer);
    if (this.stopped) {
      await peer.close();
      return;
    }
    const id = this.freshId();
    const blob = encodeBlob({ type: 'offer', sdp: keepCandidates(sdp, this.options.addresses) }, { offerId: id });
    const expiresAt = new Date(Date.now() + this.options.offerTtlMs);
    const timer = setTimeout(() => void this.expire(id), this.options.offerTtlMs);
    timer.unref();
    this.pending = { id, peer, timer };
    this.options.emit({
      type: 'offer',
      offerId: id,
      text: blob.text,
      bytes: blob.bytes.length,
      qrVersion: qrMatrix(blob.bytes).version,
      expiresAt: expiresAt.toISOString(),
    });
  }

  private async expire(id: number): Promise<void> {
    if (this.pending?.id !== id) return;
    const { peer } = this.pending;
    this.pending = undefined;
    this.remember(this.expired, id);
    this.options.emit({ type: 'offer-expired', offerId: id });
    await peer.close();
    await this.offerNext();
  }

  /** A viewer whose connection is on its way; dropped with `lateReason` if it is not up within `withinMs`. */
  private add(id: number, peer: ViewerPeer, withinMs: number, lateReason: string): Viewer {
    const viewer: Viewer = { id, peer, joined: false, deadline: setTimeout(() => this.drop(viewer, lateReason), withinMs) };
    viewer.deadline.unref();
    this.viewers.set(id, viewer);
    this.watch(viewer);
    return viewer;
  }

  private watch(viewer: Viewer): void {
    const { peer, id } = viewer;
    peer.on('state', (state) => {
      if (state === 'connected' && !viewer.joined) {
        viewer.joined = true;
        clearTimeout(viewer.deadline);
        this.options.emit({ type: 'viewer-joined', viewer: id, viewers: this.watching() });
        // Its first frame should not wait for the periodic keyframe.
        if (this.options.keyframeOnJoin) this.startWithKeyframe(peer);
        void this.offerNext();
      } else if (state === 'failed' || state === 'closed') {
        const failed = viewer.joined
          ? 'connection failed (network changed, or the viewer went away)'
          : 'its connection failed before it came up (ICE or DTLS: same network as the Pi? a firewall?)';
        this.drop(viewer, state === 'failed' ? failed : 'closed');
      }
    });
    peer.on('keyframe', () => {
      if (this.options.keyframeOnJoin) this.keyframe(peer);
    });
    // Closed from its side: gone now, not when ICE consent gives up (~30 s). A connection that
    // is handing over to a new one may be closed by the page first; the new one carries on.
    peer.on('gone', () => {
      if (viewer.peer === peer && !viewer.successor) this.drop(viewer, 'it closed the connection');
    });
    peer.on('channelOpen', () => this.options.channel?.open(id, peer));
    peer.on('message', (text) => {
      this.options.emit({ type: 'message', viewer: id, text });
      this.options.channel?.message(id, peer, text);
    });
  }

  /** The new connection is up: it carries the viewer from now on, under the same number. */
  private takeOver(viewer: Viewer, next: ViewerPeer, startedAt: number): void {
    if (viewer.successor?.peer !== next || this.viewers.get(viewer.id) !== viewer) {
      void next.close();
      return;
    }
    clearTimeout(viewer.successor.timer);
    viewer.successor = undefined;
    const old = viewer.peer;
    // Its closing is the hand-over, not the viewer leaving.
    old.on('state', () => undefined);
    viewer.peer = next;
    this.watch(viewer);
    void old.close();
    this.options.emit({ type: 'reconnected', viewer: viewer.id, ms: Date.now() - startedAt });
    this.reportCodecs();
    // The new connection's first frame should not wait for the periodic keyframe either.
    if (this.options.keyframeOnJoin) this.startWithKeyframe(next);
  }

  /** A new connection that will not take over; `reason` is said when it is a failure, not a stop. */
  private abandon(viewer: Viewer, next: ViewerPeer, reason?: string): void {
    if (viewer.successor?.peer !== next) return;
    clearTimeout(viewer.successor.timer);
    viewer.successor = undefined;
    void next.close();
    if (reason === undefined) return;
    this.options.emit({
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
    void viewer.peer.close();
    this.options.emit({ type: 'viewer-left', viewer: viewer.id, reason, viewers: this.watching() });
    this.reportCodecs();
    void this.offerNext();
  }

  /** Viewers whose connection is up: one still connecting is not watching yet. */
  private watching(): number {
    return [...this.viewers.values()].filter((v) => v.joined).length;
  }

  /**
   * A connection that just came up: the keyframe its encoder made in the last moment (asked for
   * when its answer came) and what followed, at once; without one, a keyframe asked for now.
   */
  private startWithKeyframe(peer: ViewerPeer): void {
    const codec = peer.codec;
    const fresh = codec === undefined ? undefined : this.keyframes.get(codec)?.fresh();
    if (fresh) for (const packet of fresh) peer.writeRtp(packet);
    // And another keyframe soon after: packets sent in a connection's first moments are now and
    // then lost (werift as the DTLS client), and without one the viewer would wait for the periodic one.
    this.keyframe(peer);
  }

  /** Asks the encoder of `peer`'s codec for a keyframe. */
  private keyframe(peer: ViewerPeer): void {
    const codec = peer.codec;
    if (codec) this.rtp.get(codec)?.requestKeyframe();
  }

  /** Keyframes from every encoder, e.g. after a data-channel request whose codec is not known. */
  requestKeyframes(): void {
    for (const input of this.rtp.values()) input.requestKeyframe();
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
    this.options.codecsInUse?.(codecs);
  }

  private forward(codec: VideoCodec, packet: Buffer): void {
    const seq = packet.readUInt16BE(2);
    const ssrc = packet.readUInt32BE(8);
    const now = Date.now();
    // A restarted encoder starts a new sequence (and maybe SSRC): each viewer's stream must go
    // on seamlessly, or its decoder drops everything that follows as out of order.
    const last = this.last.get(codec);
    const jump = last === undefined ? 0 : Math.min((seq - last.seq) & 0xffff, (last.seq - seq) & 0xffff);
    const restarted = last !== undefined && (ssrc !== last.ssrc || jump > 1000);
    const gapMs = last === undefined ? 0 : now - last.at;
    this.last.set(codec, { seq, ssrc, at: now });
    if (restarted) this.rtp.get(codec)?.requestKeyframe();
    this.keyframes.get(codec)?.push(packet, now);
    for (const viewer of this.viewers.values()) {
      if (!viewer.joined || viewer.peer.codec !== codec) continue;
      try {
        if (restarted) viewer.peer.continueFrom(packet, gapMs);
        viewer.peer.writeRtp(packet);
      } catch (error) {
        // This runs in the RTP socket's handler: a throw there would end the agent for everyone.
        this.drop(viewer, `sending to it failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private freshId(): number {
    for (;;) {
      const id = randomInt(0, 0x10000);
      if (!this.used.has(id) && !this.expired.has(id) && !this.viewers.has(id) && this.pending?.id !== id) return id;
    }
  }

  private remember(set: Set<number>, id: number): void {
    set.add(id);
    if (set.size > HISTORY) set.delete(set.values().next().value!);
  }
}
