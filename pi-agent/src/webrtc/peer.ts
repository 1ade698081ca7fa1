// One viewer's WebRTC connection on werift (PIGEON_ENGINE=werift), and its only owner: a werift
// peer sending the encoder's RTP (sendonly video) with the 'pigeon' data channel beside it. Non-trickle: every SDP it gives out
// holds all candidates, since a blob is one message.
import { EventEmitter } from 'node:events';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  SessionDescription,
  type RTCDataChannel,
  type RTCRtpTransceiver,
} from 'werift';
import { onFingerprintMismatch } from '@pigeon/node-common';
import { helloWithoutDelay } from './dtls-start.ts';
import { AgentError } from '../core/errors.ts';
import { checkPathNow } from './ice-path.ts';
import { MessageBudget } from '../core/message-budget.ts';
import { capInbound } from './sctp-cap.ts';
import { codecParameters, preferredWeriftCodec } from './werift-codecs.ts';
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

export class WeriftPeer extends EventEmitter<PeerEvents> implements ViewerPeer {
  private readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'video' });
  private transceiver: RTCRtpTransceiver | undefined;
  private channel: RTCDataChannel | undefined;
  private closed = false;
  private timestampOffset: number | undefined;
  private channelOpened = false;
  private readonly budget = new MessageBudget(MESSAGES_PER_SECOND, MESSAGE_BURST);
  private readonly stunAsked: boolean;
  /** The path check under way, if any (checkPath). */
  private pathCheck: Promise<number | undefined> | undefined;
  /** Read once both descriptions are set: it is asked for every packet. */
  private negotiated: VideoCodec | undefined;
  /** Date.now() of the last datagram from the viewer (ICE's onData), once connected. */
  private heardAt: number | undefined;
  private failed: 'fingerprint' | undefined;

  private constructor(private readonly config: PeerConfig) {
    super();
    this.stunAsked = config.iceServers.some((server) => [server.urls].flat().some((url) => /^stuns?:/i.test(url)));
    this.pc = new RTCPeerConnection({
      iceServers: config.iceServers,
      iceUseIpv6: config.ipv6,
      bundlePolicy: 'max-bundle',
      codecs: { video: config.codecs.map(codecParameters), audio: [] },
    });
    this.pc.connectionStateChange.subscribe((state) => this.emit('state', state));
    this.pc.onDataChannel.subscribe((channel) => this.adopt(channel));
  }

  /** A peer with its offer made and every candidate gathered. */
  static async offer(config: PeerConfig): Promise<{ peer: WeriftPeer; sdp: string }> {
    const peer = new WeriftPeer(config);
    peer.attach(peer.pc.addTransceiver(peer.track, { direction: 'sendonly' }));
    // Stream 0: the DTLS client opens channels on even streams (RFC 8832 §6). werift 0.24 picks
    // the parity by the ICE role instead, odd for the offerer (ICE controlling), which is right
    // only when the offerer is the DTLS server; this offerer is the client (asDtlsClient), and an
    // answerer that keeps the rule (libdatachannel, so pigeon-bridge) resets an odd stream at once.
    peer.adopt(peer.pc.createDataChannel('pigeon', { id: 0 }));
    peer.withoutDefaultStun();
    peer.asDtlsClient();
    peer.capChannel();
    await peer.pc.setLocalDescription(await peer.pc.createOffer());
    return { peer, sdp: peer.localSdp() };
  }

  /** A peer answering a viewer's offer (the browser offered). */
  static async answer(config: PeerConfig, offerSdp: string): Promise<{ peer: WeriftPeer; sdp: string }> {
    // Checked before werift sees it: werift's own refusal of a codec-less offer says only "negotiate codecs failed".
    const offered = SessionDescription.parse(offerSdp).media.find((m) => m.kind === 'video');
    if (!offered) throw noVideo();
    if (!preferredWeriftCodec(offered.rtp.codecs, config.codecs)) throw codecMismatch(config.codecs);
    const peer = new WeriftPeer(config);
    try {
      await peer.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      const video = peer.pc.getTransceivers().find((t) => t.kind === 'video');
      if (!video) throw noVideo();
      const chosen = preferredWeriftCodec(video.codecs, config.codecs);
      if (!chosen) throw codecMismatch(config.codecs);
      video.codecs = [chosen];
      video.sender.codec = chosen;
      video.setDirection('sendonly');
      await video.sender.replaceTrack(peer.track);
      peer.attach(video);
      peer.withoutDefaultStun();
      peer.asDtlsClient();
      peer.capChannel();
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      return { peer, sdp: peer.localSdp() };
    } catch (error) {
      await peer.close();
      throw error;
    }
  }

  /** True once the data channel has opened (and 'channelOpen' was emitted). */
  get channelIsOpen(): boolean {
    return this.channelOpened;
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    // The answer may list every codec we offered; send the one we prefer of those it kept. werift
    // takes the first of the transceiver's codecs when the transport comes up, after this.
    const transceiver = this.transceiver;
    const chosen = transceiver && preferredWeriftCodec(transceiver.codecs, this.config.codecs);
    if (transceiver && chosen) transceiver.codecs = [chosen, ...transceiver.codecs.filter((c) => c !== chosen)];
  }

  /** The codec this viewer receives, once the offer and answer are both known. */
  get codec(): VideoCodec | undefined {
    if (this.negotiated === undefined && this.pc.signalingState === 'stable') {
      const mime = this.transceiver?.codecs[0]?.mimeType.toLowerCase();
      this.negotiated = mime === 'video/h264' ? 'H264' : mime === 'video/vp8' ? 'VP8' : undefined;
    }
    return this.negotiated;
  }

  /**
   * Date.now() ms of the last packet received from the viewer (any datagram on the selected path:
   * its RTCP, which a receiving browser sends about every second, its data channel's SCTP);
   * undefined before the connection is up.
   */
  lastHeardAt(): number | undefined {
    if (this.heardAt === undefined && this.pc.connectionState === 'connected') this.heardAt = Date.now();
    return this.heardAt;
  }

  /** Why the connection failed, when it is known: 'fingerprint', the viewer's certificate did not match its answer. */
  get failure(): 'fingerprint' | undefined {
    return this.failed;
  }

  get state(): PeerState {
    return this.pc.connectionState;
  }

  /** Forwards one RTP packet from the encoder; werift rewrites SSRC, payload type and sequence. */
  writeRtp(packet: Buffer): void {
    if (this.pc.connectionState !== 'connected') return;
    this.track.writeRtp(packet);
    // werift rewrites the timestamp synchronously; remember by how much, to label detections.
    const sent = (this.transceiver?.sender as unknown as { timestamp?: number } | undefined)?.timestamp;
    if (sent !== undefined) this.timestampOffset = (sent - packet.readUInt32BE(4)) >>> 0;
  }

  /**
   * An encoder RTP timestamp (or, without one, the frame sent last) as this viewer's RTP clock
   * shows it, so the page can match detections to the frame they belong to.
   */
  viewerTimestamp(encoderTimestamp?: number): number | undefined {
    const sent = (this.transceiver?.sender as unknown as { timestamp?: number } | undefined)?.timestamp;
    if (encoderTimestamp === undefined) return sent;
    return this.timestampOffset === undefined ? undefined : (encoderTimestamp + this.timestampOffset) >>> 0;
  }

  /**
   * After the encoder restarts (its sequence numbers and timestamps start anew), map its next
   * packet to follow straight on from the last one this viewer got, `gapMs` later. werift's own
   * "discontinuity" mode adds its 32-bit timestamp offset in 16 bits, so it is not used.
   */
  continueFrom(packet: Buffer, gapMs: number): void {
    const sender = this.transceiver?.sender;
    if (!sender || packet.length < 12) return;
    const ticks = Math.max(1, Math.round(gapMs * 90)); // the video RTP clock is 90 kHz
    sender.replaceRTP({
      sequenceNumber: (packet.readUInt16BE(2) - 1) & 0xffff,
      timestamp: (packet.readUInt32BE(4) - ticks) >>> 0,
    });
  }

  /**
   * After this machine's addresses changed: shows the viewer the way to us now, by connectivity
   * checks on the pair in use, sent from wherever our address went (ice-path.ts). One round at a
   * time; resolves with the ms the viewer took to answer, or undefined if it did not.
   */
  checkPath(): Promise<number | undefined> {
    return (this.pathCheck ??= checkPathNow(this.pc).finally(() => (this.pathCheck = undefined)));
  }

  send(text: string): boolean {
    if (this.channel?.readyState !== 'open') return false;
    this.channel.send(text);
    return true;
  }

  /** Resolves once what was sent on the channel has arrived (SCTP acknowledged it), or after `timeoutMs`. */
  async flushed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.channel?.readyState === 'open' && (this.channel.bufferedAmount > 0 || this.unacknowledged() > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * SCTP chunks sent but not yet acknowledged. In werift 0.24 as the DTLS client, a message sent
   * in the first second of a connection is often lost once and resent by SCTP a second later, so
   * "handed to SCTP" is not "arrived"; a goodbye waits for the acknowledgement.
   */
  private unacknowledged(): number {
    const sctp = (this.pc.sctpTransport as unknown as { sctp?: { sentQueue?: unknown[] } } | undefined)?.sctp;
    return sctp?.sentQueue?.length ?? 0;
  }

  /** Round-trip time in ms from the viewer's receiver reports, once there is one. */
  async rttMs(): Promise<number | undefined> {
    const sender = this.transceiver?.sender;
    if (!sender) return undefined;
    const report = await sender.getStats();
    for (const stat of report.values()) {
      const rtt = (stat as { roundTripTime?: unknown }).roundTripTime;
      if (typeof rtt === 'number' && rtt > 0) return Math.round(rtt * 1000);
    }
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pc.close();
  }

  /**
   * werift 0.24's ICE falls back to Google's public STUN server whenever none is configured, so
   * `iceServers: []` alone still looks up stun.l.google.com for every connection and, online,
   * queries it and puts the Pi's public address in the offer (a larger QR, and traffic nobody
   * asked for). Gathering happens in setLocalDescription; before it, take that fallback away.
   */
  private withoutDefaultStun(): void {
    if (this.stunAsked) return;
    for (const transport of this.pc.iceTransports) transport.connection.stunServer = undefined;
  }

  /**
   * The agent is the DTLS client of every connection. Offering, that makes the offer say
   * `a=setup:active`, so whoever answers is the DTLS server and waits for our ClientHello. With the
   * usual `actpass` the answerer would be the client and send its hello the moment its ICE checks
   * get replies, which werift gives before it has the answer; but werift's DTLS only listens once
   * the answer is set, so that hello is lost and the answerer's retransmission backoff (1, 2, 4 …
   * 32 s, then it gives up) decides when video starts. A person carries the answer over in seconds
   * to minutes: with the agent as the client, video starts a round trip after the answer arrives,
   * however long that took. Answering, werift is the client anyway; saying so keeps one rule, and
   * its hello goes out without werift's fixed 100 ms wait (dtls-start.ts).
   */
  private asDtlsClient(): void {
    for (const transport of this.pc.dtlsTransports) {
      transport.role = 'client';
      helloWithoutDelay(transport);
      onFingerprintMismatch(transport, () => (this.failed = 'fingerprint'));
      // Any datagram from the viewer (DTLS records: its data channel's SCTP too) is it being
      // heard, so a viewer pushing one long message is not taken for one gone silent.
      transport.iceTransport.connection.onData.subscribe(() => {
        this.heardAt = Date.now();
      });
    }
  }

  /** Data-channel messages are capped while werift's SCTP reassembles them (sctp-cap.ts). */
  private capChannel(): void {
    const transport = this.pc.sctpTransport;
    if (!transport) return;
    capInbound(transport, {
      maxMessageBytes: MAX_CHANNEL_MESSAGE_BYTES,
      refused: (refusal) => {
        const limit = `${MAX_CHANNEL_MESSAGE_BYTES / 1024} KiB`;
        this.emit(
          'refused',
          refusal.kind === 'message'
            ? tooLarge()
            : new AgentError('E_TOO_LARGE', `its data channel sent past the agent's receive window (1 MiB and one ${limit} message); what did not fit was dropped`),
        );
      },
    });
  }

  private attach(transceiver: RTCRtpTransceiver): void {
    this.transceiver = transceiver;
    transceiver.sender.onRtcp.subscribe((packet) => {
      // PLI, or FIR (format 4); the other payload-specific feedback here is REMB.
      if (!(packet instanceof RtcpPayloadSpecificFeedback)) return;
      if (packet.feedback instanceof PictureLossIndication || packet.feedback.count === 4) this.emit('keyframe');
    });
  }

  private adopt(channel: RTCDataChannel): void {
    this.channel = channel;
    channel.stateChanged.subscribe((state) => {
      if (state === 'closed' && !this.closed) this.emit('gone');
      if (state !== 'open') return;
      this.channelOpened = true;
      this.emit('channelOpen');
    });
    channel.onMessage.subscribe((data) => {
      const verdict = this.budget.take();
      if (verdict === 'take') this.emit('message', typeof data === 'string' ? data : data.toString('utf8'));
      else if (verdict === 'refuse') this.emit('refused', flooding());
    });
  }

  private localSdp(): string {
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new AgentError('E_WEBRTC', 'werift gave no local description');
    return sdp;
  }
}

/** werift, the agent's engine so far: the default until every pinned test passes on libdatachannel. */
export const weriftEngine: PeerEngine = {
  name: 'werift',
  offer: (config) => WeriftPeer.offer(config),
  answer: (config, offerSdp) => WeriftPeer.answer(config, offerSdp),
};
