// One viewer's WebRTC connection on libdatachannel (PIGEON_ENGINE=libdatachannel), and its only
// owner: an EnginePeer of @pigeon/engine (the one seam to node-datachannel) sending the encoder's
// RTP as this viewer's stream (RtpRewriter), with the 'pigeon' data channel beside it.
import { EventEmitter } from 'node:events';
import {
  CONSENT_CHECK_MAX_MS,
  EnginePeer,
  RtpRewriter,
  candidatePorts,
  fingerprintOf,
  preferred,
  selfSignedCertificate,
  videoSection,
  type Certificate,
  type EngineConfig,
  type EnginePeerEvents,
  type EngineState,
  type EndpointIdentity,
  type VideoPlan,
} from '@pigeon/engine';
import { MessageBudget } from '../core/message-budget.ts';
import { subscribe } from '../core/subscribe.ts';
import {
  MAX_CHANNEL_MESSAGE_BYTES,
  MESSAGE_BURST,
  MESSAGES_PER_SECOND,
  codecMismatch,
  flooding,
  noVideo,
  tooLarge,
  type PeerConfig,
  type PeerEngine,
  type PeerEvents,
  type PeerState,
  type VideoCodec,
  type ViewerPeer,
} from './viewer-peer.ts';

/**
 * After an address change, how long to wait for the viewer to be heard again: libjuice's next
 * consent check (which tells the viewer our new address), the viewer's answer, and its next RTCP
 * report (about every second) beside.
 */
const PATH_CHECK_FOR_MS = CONSENT_CHECK_MAX_MS + 2000;
/** How often the wait looks for something heard. */
const HEARD_POLL_MS = 20;

const engineConfig = (config: PeerConfig): EngineConfig => ({
  iceServers: config.iceServers,
  ipv6: config.ipv6,
  maxMessageBytes: MAX_CHANNEL_MESSAGE_BYTES,
});

/** The agent's one DTLS certificate for its answers, made the first time one is needed. */
let answerCertificate: Certificate | undefined;

/**
 * An answer handed out, and what it takes to be its endpoint again until `until`: a person
 * carries it to the page, and libjuice gives up on a connection whose checks are not nominated
 * within ~39.5 s (ICE_PAC_TIMEOUT), while the page cannot nominate before it has the answer.
 */
interface Answered {
  config: EngineConfig;
  plan: VideoPlan;
  offerSdp: string;
  sdp: string;
  identity: EndpointIdentity;
  until: number;
}

/** Whether `sdp` describes the endpoint `answered.sdp` did: same certificate, port and ICE credentials. */
function sameEndpoint(sdp: string, answered: Answered, peer: EnginePeer): boolean {
  const ports = (text: string): string => candidatePorts(text).join(',');
  return fingerprintOf(sdp)?.value === fingerprintOf(answered.sdp)?.value && ports(sdp) === ports(answered.sdp) && peer.credentials.icePwd === answered.identity.credentials.icePwd;
}

export class LibdatachannelPeer extends EventEmitter<PeerEvents> implements ViewerPeer {
  private rewriter: RtpRewriter | undefined;
  private readonly budget = new MessageBudget(MESSAGES_PER_SECOND, MESSAGE_BURST);
  private pathCheck: Promise<number | undefined> | undefined;
  private closed = false;
  private connectedOnce = false;
  /** The connection is up now: kept from its state events, so a packet costs no call into the library to ask. */
  private up = false;
  private unwatch: () => void;

  private constructor(
    private engine: EnginePeer,
    private readonly answered?: Answered,
  ) {
    super();
    this.unwatch = this.watch(engine);
    this.videoKnown();
  }

  /** Listens to `engine`'s events as this viewer's; returns what takes them off again. */
  private watch(engine: EnginePeer): () => void {
    return subscribe<EnginePeerEvents>(engine, {
      state: (state) => this.onState(engine, state),
      keyframe: () => this.emit('keyframe'),
      channelOpen: () => this.emit('channelOpen'),
      channelClosed: () => this.closed || this.emit('gone'),
      tooLarge: () => this.emit('refused', tooLarge()),
      message: (data) => {
        const verdict = this.budget.take();
        if (verdict === 'take') this.emit('message', typeof data === 'string' ? data : data.toString('utf8'));
        else if (verdict === 'refuse') this.emit('refused', flooding());
      },
    });
  }

  private onState(engine: EnginePeer, state: EngineState): void {
    if (engine !== this.engine) return;
    this.up = state === 'connected';
    if (this.up) this.connectedOnce = true;
    const answered = this.answered;
    // Our answer is still on its way to the page: be its endpoint again, on a fresh connection.
    if (state === 'failed' && answered && !this.connectedOnce && !this.closed && engine.failure === undefined && Date.now() < answered.until) {
      void this.remake(answered);
      return;
    }
    this.emit('state', state);
  }

  /**
   * The connection answering the page gave up before it came up (libjuice, ~39.5 s with no
   * nomination), while the page may not even have our answer yet: a new connection takes its
   * place as the very endpoint that answer describes (the same certificate, port, ICE
   * credentials and SSRC), so the answer the person is carrying stays good until --offer-ttl.
   */
  private async remake(answered: Answered): Promise<void> {
    const old = this.engine;
    this.unwatch();
    await old.close();
    if (this.closed) return;
    const made = await EnginePeer.answer(answered.config, answered.plan, answered.offerSdp, answered.identity).catch(() => undefined);
    if (!made || this.closed || !sameEndpoint(made.sdp, answered, made.peer)) {
      await made?.peer.close();
      if (!this.closed) for (const state of ['failed', 'closed'] as const) this.emit('state', state);
      return;
    }
    this.engine = made.peer;
    this.unwatch = this.watch(made.peer);
  }

  /** A peer with its offer made and every candidate gathered; the offer says a=setup:active. */
  static async offer(config: PeerConfig): Promise<{ peer: LibdatachannelPeer; sdp: string }> {
    const { peer, sdp } = await EnginePeer.offer(engineConfig(config), { direction: 'sendonly', codecs: config.codecs });
    return { peer: new LibdatachannelPeer(peer), sdp };
  }

  /**
   * A peer answering a browser's offer, refused with werift's codes when the offer has no video
   * or no codec of ours. For `holdMs` (the answer being carried to the page) it stays the
   * endpoint its answer describes, remade if libjuice gives up (see remake).
   */
  static async answer(config: PeerConfig, offerSdp: string, holdMs: number): Promise<{ peer: LibdatachannelPeer; sdp: string }> {
    const section = videoSection(offerSdp);
    if (!section || section.rejected) throw noVideo();
    if (!preferred(section.codecs, config.codecs)) throw codecMismatch(config.codecs);
    const certificate = (answerCertificate ??= selfSignedCertificate());
    const plan: VideoPlan = { direction: 'sendonly', codecs: config.codecs };
    const { peer, sdp } = await EnginePeer.answer({ ...engineConfig(config), certificate }, plan, offerSdp);
    const port = peer.localPort();
    if (port === undefined) return { peer: new LibdatachannelPeer(peer), sdp };
    const answered: Answered = { config: { ...engineConfig(config), certificate, port }, plan, offerSdp, sdp, identity: peer.identity, until: Date.now() + holdMs };
    return { peer: new LibdatachannelPeer(peer, answered), sdp };
  }

  get state(): PeerState {
    return this.engine.state;
  }

  get codec(): VideoCodec | undefined {
    return this.engine.video?.codec;
  }

  get failure(): 'fingerprint' | undefined {
    return this.engine.failure;
  }

  get channelIsOpen(): boolean {
    return this.engine.channelIsOpen;
  }

  acceptAnswer(sdp: string): Promise<void> {
    this.engine.acceptAnswer(sdp);
    this.videoKnown();
    return Promise.resolve();
  }

  writeRtp(packet: Buffer): void {
    const rewriter = this.rewriter;
    if (!rewriter || !this.up) return;
    const out = rewriter.rewrite(packet);
    if (out) this.engine.sendRtp(out);
  }

  continueFrom(packet: Buffer, gapMs: number): void {
    this.rewriter?.continueFrom(packet, gapMs);
  }

  viewerTimestamp(encoderTimestamp?: number): number | undefined {
    if (encoderTimestamp === undefined) return this.rewriter?.timestamp;
    return this.rewriter?.viewerTimestamp(encoderTimestamp);
  }

  /**
   * After this machine's addresses changed: resolves with the ms until the viewer was heard from
   * again, or undefined if it was not within PATH_CHECK_FOR_MS or there is no path. libjuice checks
   * the path itself, at its next consent check (within CONSENT_CHECK_MAX_MS); nothing earlier can be
   * asked of it, so this only waits for that check's outcome.
   */
  checkPath(): Promise<number | undefined> {
    return (this.pathCheck ??= this.checkUntilHeard().finally(() => (this.pathCheck = undefined)));
  }

  lastHeardAt(): number | undefined {
    return this.engine.lastHeardAt();
  }

  send(text: string): boolean {
    return this.engine.send(text);
  }

  flushed(timeoutMs: number): Promise<void> {
    return this.engine.flushed(timeoutMs);
  }

  rttMs(): Promise<number | undefined> {
    return Promise.resolve(this.engine.rttMs());
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.engine.close();
  }

  /** The stream's rewriter, once both descriptions say which payload type the viewer decodes. */
  private videoKnown(): void {
    const video = this.engine.video;
    if (!video) return;
    if (this.rewriter) this.rewriter.setPayloadType(video.payloadType);
    else this.rewriter = new RtpRewriter(video.ssrc, video.payloadType);
  }

  private async checkUntilHeard(): Promise<number | undefined> {
    const startedAt = Date.now();
    if (this.engine.selectedPath() === undefined) return undefined;
    while (!this.closed && Date.now() - startedAt < PATH_CHECK_FOR_MS) {
      const heard = this.engine.lastHeardAt();
      if (heard !== undefined && heard > startedAt) return heard - startedAt;
      await new Promise((resolve) => setTimeout(resolve, HEARD_POLL_MS));
    }
    return undefined;
  }
}

/** libdatachannel through @pigeon/engine: native DTLS, SRTP, SCTP and ICE. */
export const libdatachannelEngine: PeerEngine = {
  name: 'libdatachannel',
  offer: (config) => LibdatachannelPeer.offer(config),
  answer: (config, offerSdp, holdMs) => LibdatachannelPeer.answer(config, offerSdp, holdMs),
};
