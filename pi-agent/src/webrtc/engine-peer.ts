// One viewer's WebRTC connection on libdatachannel (PIGEON_ENGINE=libdatachannel), and its only
// owner: an EnginePeer of @pigeon/engine (the one seam to node-datachannel) sending the encoder's
// RTP as this viewer's stream (RtpRewriter), with the 'pigeon' data channel beside it.
import { EventEmitter } from 'node:events';
import { EnginePeer, RtpRewriter, preferred, videoSection, type EngineConfig, type EngineState } from '@pigeon/engine';
import { PeerError } from '../core/errors.ts';
import { MessageBudget } from '../core/message-budget.ts';
import {
  MAX_CHANNEL_MESSAGE_BYTES,
  MESSAGE_BURST,
  MESSAGES_PER_SECOND,
  flooding,
  tooLarge,
  type PeerConfig,
  type PeerEngine,
  type PeerEvents,
  type PeerState,
  type VideoCodec,
  type ViewerPeer,
} from './viewer-peer.ts';

/** Path checks after an address change: one every this long until the viewer is heard again. */
const PATH_CHECK_EVERY_MS = 500;
/** How long a path check goes on without an answer before it says the viewer did not answer. */
const PATH_CHECK_FOR_MS = 10_000;

const engineConfig = (config: PeerConfig): EngineConfig => ({
  iceServers: config.iceServers,
  ipv6: config.ipv6,
  maxMessageBytes: MAX_CHANNEL_MESSAGE_BYTES,
});

export class LibdatachannelPeer extends EventEmitter<PeerEvents> implements ViewerPeer {
  private rewriter: RtpRewriter | undefined;
  private readonly budget = new MessageBudget(MESSAGES_PER_SECOND, MESSAGE_BURST);
  private pathCheck: Promise<number | undefined> | undefined;
  private closed = false;

  private constructor(private readonly engine: EnginePeer) {
    super();
    engine.on('state', (state: EngineState) => this.emit('state', state));
    engine.on('keyframe', () => this.emit('keyframe'));
    engine.on('channelOpen', () => this.emit('channelOpen'));
    engine.on('channelClosed', () => this.closed || this.emit('gone'));
    engine.on('tooLarge', () => this.emit('refused', tooLarge()));
    engine.on('message', (data) => {
      const verdict = this.budget.take();
      if (verdict === 'take') this.emit('message', typeof data === 'string' ? data : data.toString('utf8'));
      else if (verdict === 'refuse') this.emit('refused', flooding());
    });
    this.videoKnown();
  }

  /** A peer with its offer made and every candidate gathered; the offer says a=setup:active. */
  static async offer(config: PeerConfig): Promise<{ peer: LibdatachannelPeer; sdp: string }> {
    const { peer, sdp } = await EnginePeer.offer(engineConfig(config), { direction: 'sendonly', codecs: config.codecs });
    return { peer: new LibdatachannelPeer(peer), sdp };
  }

  /** A peer answering a browser's offer, refused with werift's codes when the offer has no video or no codec of ours. */
  static async answer(config: PeerConfig, offerSdp: string): Promise<{ peer: LibdatachannelPeer; sdp: string }> {
    const section = videoSection(offerSdp);
    if (!section || section.rejected) throw new PeerError('E_NO_VIDEO', 'the offer has no video section to send the camera on');
    if (!preferred(section.codecs, config.codecs)) {
      const names = config.codecs.map((codec) => (codec === 'H264' ? 'H.264 baseline (packetization-mode 1)' : 'VP8'));
      throw new PeerError('E_CODEC_MISMATCH', `the offer has no ${names.join(' or ')} codec, which this agent's encoders make`);
    }
    const { peer, sdp } = await EnginePeer.answer(engineConfig(config), { direction: 'sendonly', codecs: config.codecs }, offerSdp);
    return { peer: new LibdatachannelPeer(peer), sdp };
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
    if (!rewriter || this.engine.state !== 'connected') return;
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
   * After this machine's addresses changed: a check on the path in use now and every 500 ms
   * (EnginePeer.recheckPath) until the viewer is heard from again (its RTCP comes about every
   * second); resolves with the ms that took, or undefined after 10 s or with no path to check.
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
    while (!this.closed && Date.now() - startedAt < PATH_CHECK_FOR_MS) {
      if (!this.engine.recheckPath()) return undefined;
      const sentAt = Date.now();
      while (!this.closed && Date.now() - sentAt < PATH_CHECK_EVERY_MS) {
        const heard = this.engine.lastHeardAt();
        if (heard !== undefined && heard > startedAt) return heard - startedAt;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    return undefined;
  }
}

/** libdatachannel through @pigeon/engine: native DTLS, SRTP, SCTP and ICE. */
export const libdatachannelEngine: PeerEngine = {
  name: 'libdatachannel',
  offer: (config) => LibdatachannelPeer.offer(config),
  answer: (config, offerSdp) => LibdatachannelPeer.answer(config, offerSdp),
};
