// One WebRTC peer connection on libdatachannel, and its only owner: one video section (sent or
// received) and one data channel beside it, negotiated without trickle (every description it
// gives out holds all its candidates, since a blob is one message).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Certificate } from './certificate.ts';
import { CODECS, preferred, type VideoCodec } from './codecs.ts';
import { EngineError } from './errors.ts';
import { guarded } from './guard.ts';
import { opened, released } from './lifetime.ts';
import { checkChannel, native, type DataChannel, type PeerConnection, type Track, type Video } from './native.ts';
import { readRtcp, senderReport } from './rtcp.ts';
import { randomSsrc } from './rtp.ts';
import { asOurAnswer, asOurOffer, candidatePorts, fingerprintOf, videoSection, withoutIpv6 } from './sdp.ts';

/** A STUN or TURN server, as WebRTC configurations name one. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface EngineConfig {
  /** Empty: no STUN or TURN server, so nothing is sent off this machine but to the peer itself. */
  iceServers: readonly IceServer[];
  /** Offer and accept IPv6 host candidates too. */
  ipv6: boolean;
  /** The most bytes one data-channel message may have; advertised as max-message-size. */
  maxMessageBytes: number;
  /** The DTLS certificate (selfSignedCertificate()); a fresh one of the library's making without. */
  certificate?: Certificate;
  /** The one local UDP port to gather on; any free one without. */
  port?: number;
}

/** ICE credentials, as a description's a=ice-ufrag and a=ice-pwd carry them. */
export interface IceCredentials {
  iceUfrag: string;
  icePwd: string;
}

/**
 * What a description says of the endpoint besides its certificate and port: its ICE credentials
 * and the SSRC of the video it sends. A peer made with an earlier one's (and its certificate and
 * port) is the endpoint that earlier description described.
 */
export interface EndpointIdentity {
  credentials: IceCredentials;
  ssrc: number;
}

export type EngineState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** The video section: which way the video goes, and the codecs in order of preference. */
export interface VideoPlan {
  direction: 'sendonly' | 'recvonly';
  codecs: readonly VideoCodec[];
}

export interface EnginePeerEvents {
  /** The connection's state; 'connected' only once the remote certificate matched its fingerprint. */
  state: [state: EngineState];
  /** Sending: the remote asked for a keyframe (PLI or FIR). */
  keyframe: [];
  /** Receiving: one RTP packet of the remote's video. */
  rtp: [packet: Buffer];
  /** A data-channel message within the cap. */
  message: [data: string | Buffer];
  /** A data-channel message over the cap: refused unread (the library kept no more than cap + 1 bytes of it). */
  tooLarge: [];
  channelOpen: [];
  /** The data channel closed from the remote side (never for a close of ours). */
  channelClosed: [];
}

/**
 * After this machine's address changed, the longest until libjuice checks the path in use from
 * wherever our address went: its consent check on the selected pair, every 4-6 s (RFC 7675). That
 * check is what tells the remote our new address (it learns it as peer-reflexive and answers
 * there). No earlier check can be asked for through node-datachannel 0.33: libjuice ignores remote
 * candidates of type prflx, keeps pairs added after nomination frozen, and has no ICE restart.
 */
export const CONSENT_CHECK_MAX_MS = 6000;

/** How long close() waits for the library to report the connection closed. */
const CLOSE_WAIT_MS = 2000;
/** How long offer() and answer() wait for candidate gathering to complete. */
const GATHER_WAIT_MS = 5000;
const SENDER_REPORT_MS = 1000;
/** How long the engine lets other pending native callbacks reach JavaScript before it says what ended a connection. */
const ORDER_SETTLE_MS = 20;
/** How often an open data channel is looked at for its closing (watchChannel). */
const CHANNEL_WATCH_MS = 50;
/** A connection that ends within this long of the remote's last packet was ended by the remote. */
const REMOTE_END_HEARD_MS = 3000;

/**
 * ICE credentials in lower-case hex: Pigeon's blob carries hex in 4 bits a character (6 for
 * libdatachannel's own base64 ones), 7 bytes less in every QR code. 4 and 22 characters, the least
 * RFC 8839 allows; the password's 88 random bits are what werift, the agent's earlier stack, gave.
 */
function iceCredentials(): IceCredentials {
  return { iceUfrag: randomBytes(2).toString('hex'), icePwd: randomBytes(11).toString('hex') };
}

/** STUN/TURN servers as libdatachannel takes them: "stun:host:port", "turn:user:password@host:port". */
function iceServerUrls(servers: readonly IceServer[]): string[] {
  return servers.flatMap((server) =>
    [server.urls].flat().map((url) => {
      const match = /^(turns?):(.*)$/i.exec(url);
      if (!match || server.username === undefined) return url;
      const credentials = `${encodeURIComponent(server.username)}:${encodeURIComponent(server.credential ?? '')}`;
      return `${match[1]}:${credentials}@${match[2]}`;
    }),
  );
}

/**
 * Runs `make` with `certificate` as the library takes one, in files (certificatePemFile,
 * keyPemFile), which it reads while the peer connection is made; the files are gone as soon as it
 * returns, in a directory only this user can read.
 */
function withCertificateFiles<T>(certificate: Certificate | undefined, make: (files: { certificatePemFile?: string; keyPemFile?: string }) => T): T {
  if (!certificate) return make({});
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-dtls-'));
  try {
    const certificatePemFile = join(dir, 'cert.pem');
    const keyPemFile = join(dir, 'key.pem');
    writeFileSync(certificatePemFile, certificate.cert, { mode: 0o600 });
    writeFileSync(keyPemFile, certificate.key, { mode: 0o600 });
    return make({ certificatePemFile, keyPemFile });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One codec of a video section, with its fmtp parameters if it has any. */
function addCodec(video: Video, payloadType: number, codec: VideoCodec, fmtp: string | undefined): void {
  if (fmtp === undefined) video.addVideoCodec(payloadType, CODECS[codec].name);
  else video.addVideoCodec(payloadType, CODECS[codec].name, fmtp);
}

export class EnginePeer extends EventEmitter<EnginePeerEvents> {
  private readonly pc: PeerConnection;
  private track: Track | undefined;
  private channel: DataChannel | undefined;
  /** The video's codec and payload type once both descriptions are known, with our SSRC: one object, read per packet. */
  private negotiated: Readonly<{ codec: VideoCodec; payloadType: number; ssrc: number }> | undefined;
  /** The library said the track is open (its onOpen): kept, so a packet costs no call into the library to ask. */
  private trackOpen = false;
  private remoteSdp: string | undefined;
  private closing = false;
  /** close() was called, or the fingerprint did not match: nothing the remote sends is taken any more. */
  private closedByUs = false;
  private channelClosedSaid = false;
  private closedState = false;
  private readonly closedWaiters: (() => void)[] = [];
  private verified = false;
  private failureReason: 'fingerprint' | undefined;
  private channelOpened = false;
  /** The remote closed the data channel while the connection was up. */
  private remoteClosedChannel = false;
  /** 'failed' was emitted. */
  private failedSaid = false;
  private heardAt: number | undefined;
  private bytesHeard = 0;
  private rtcpRttMs: number | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private channelWatch: NodeJS.Timeout | undefined;
  /** What was sent, for sender reports: set by the caller's RTP path (see sent()). */
  private sentPackets = 0;
  private sentOctets = 0;
  private lastTimestamp = 0;

  private constructor(
    private readonly config: EngineConfig,
    private readonly plan: VideoPlan,
    /** The ICE credentials of our description. */
    readonly credentials: IceCredentials = iceCredentials(),
    private readonly ssrc = randomSsrc(),
  ) {
    super();
    this.pc = withCertificateFiles(config.certificate, (files) => new native.PeerConnection('pigeon', {
      ...files,
      ...(config.port === undefined ? {} : { portRangeBegin: config.port, portRangeEnd: config.port }),
      iceServers: iceServerUrls(config.iceServers),
      // Negotiation is ours: one description each way, made when we say.
      disableAutoNegotiation: true,
      // One byte over the cap: the library truncates a longer message to this, so a message that
      // arrives longer than the cap was over it (see onChannelMessage).
      maxMessageSize: config.maxMessageBytes + 1,
      // Checked by us when the connection comes up (verify()), so that a mismatch is told apart
      // from any other failure: libdatachannel's own check only fails the connection.
      disableFingerprintVerification: true,
    }));
    opened();
    this.pc.onStateChange(guarded((state) => this.onState(state as EngineState)));
    this.pc.onDataChannel(guarded((channel) => this.adopt(channel)));
  }

  /** A peer with its offer made and every candidate gathered; the offer says a=setup:active. */
  static async offer(config: EngineConfig, plan: VideoPlan): Promise<{ peer: EnginePeer; sdp: string }> {
    const peer = new EnginePeer(config, plan);
    try {
      const video = new native.Video('0', plan.direction === 'sendonly' ? 'SendOnly' : 'RecvOnly');
      for (const codec of plan.codecs) addCodec(video, CODECS[codec].payloadType, codec, CODECS[codec].fmtp);
      if (plan.direction === 'sendonly') video.addSSRC(peer.ssrc, 'pigeon', 'pigeon', 'video');
      peer.attach(peer.pc.addTrack(video));
      peer.adopt(peer.pc.createDataChannel('pigeon'));
      peer.pc.setLocalDescription('offer', peer.credentials);
      // We are the DTLS client of every connection we offer. The usual actpass would let the
      // answerer be the client and send its ClientHello as soon as its ICE checks are answered,
      // which libjuice does before we have the answer; a person carries the answer over in
      // seconds to minutes, and the answerer's retransmission backoff (1, 2, 4 … s) would then
      // decide when video starts. Saying active, the answerer is the DTLS server and waits for
      // our hello, which goes out a round trip after the answer arrives, however long that took.
      // libdatachannel takes its role from the answer's a=setup:passive.
      return { peer, sdp: asOurOffer(await peer.gathered(), config.maxMessageBytes) };
    } catch (error) {
      await peer.close();
      throw error;
    }
  }

  /**
   * A peer answering a remote offer, with every candidate gathered. The caller checks first that
   * the offer has a video section with one of `plan.codecs` (E_ENGINE_NO_CODEC otherwise).
   * `as`: an earlier answer's identity (with its certificate and port in `config`), to be the
   * endpoint it described, so that answer, already handed out, holds for this peer too.
   */
  static async answer(config: EngineConfig, plan: VideoPlan, offerSdp: string, as?: EndpointIdentity): Promise<{ peer: EnginePeer; sdp: string }> {
    const section = videoSection(offerSdp);
    const chosen = section && preferred(section.codecs, plan.codecs);
    if (!section || !chosen) throw new EngineError('E_ENGINE_NO_CODEC', `the offer has no video section with ${plan.codecs.join(' or ')}`);
    const peer = new EnginePeer(config, plan, as?.credentials, as?.ssrc);
    try {
      peer.remoteSdp = config.ipv6 ? offerSdp : withoutIpv6(offerSdp);
      peer.pc.setRemoteDescription(peer.remoteSdp, 'offer');
      const video = new native.Video(section.mid, plan.direction === 'sendonly' ? 'SendOnly' : 'RecvOnly');
      addCodec(video, chosen.entry.payloadType, chosen.codec, chosen.entry.fmtp);
      if (plan.direction === 'sendonly') video.addSSRC(peer.ssrc, 'pigeon', 'pigeon', 'video');
      peer.attach(peer.pc.addTrack(video));
      peer.negotiated = { codec: chosen.codec, payloadType: chosen.entry.payloadType, ssrc: peer.ssrc };
      peer.pc.setLocalDescription('answer', peer.credentials);
      return { peer, sdp: asOurAnswer(await peer.gathered(), config.maxMessageBytes) };
    } catch (error) {
      await peer.close();
      throw error;
    }
  }

  /** Takes the answer to our offer; the codec sent is the first of the plan's that it kept. */
  acceptAnswer(sdp: string): void {
    const remote = this.config.ipv6 ? sdp : withoutIpv6(sdp);
    const chosen = preferred(videoSection(remote)?.codecs ?? [], this.plan.codecs);
    this.remoteSdp = remote;
    this.pc.setRemoteDescription(remote, 'answer');
    if (chosen) this.negotiated = { codec: chosen.codec, payloadType: chosen.entry.payloadType, ssrc: this.ssrc };
  }

  /** What our description says of us besides certificate and port (see EndpointIdentity). */
  get identity(): EndpointIdentity {
    return { credentials: this.credentials, ssrc: this.ssrc };
  }

  /** The UDP port our description's candidates name (one socket: the library bundles all), once it is made. */
  localPort(): number | undefined {
    const sdp = this.closing ? undefined : this.pc.localDescription()?.sdp;
    return sdp === undefined ? undefined : candidatePorts(sdp)[0];
  }

  /** The codec and payload type of the video, once both descriptions are known. */
  get video(): Readonly<{ codec: VideoCodec; payloadType: number; ssrc: number }> | undefined {
    return this.negotiated;
  }

  get state(): EngineState {
    if (this.closedState || this.closing) return 'closed';
    const state = this.pc.state() as EngineState;
    return state === 'connected' && !this.verified ? 'connecting' : state;
  }

  /** Set when the connection failed because the remote's DTLS certificate did not match its description's fingerprint. */
  get failure(): 'fingerprint' | undefined {
    return this.failureReason;
  }

  get channelIsOpen(): boolean {
    return this.channelOpened && !this.closing;
  }

  /**
   * Sends one RTP packet, already rewritten to this peer's SSRC and payload type (RtpRewriter);
   * false when it was not sent (not connected, or the library refused it). The library copies
   * `packet` before this returns, so the caller may reuse it at once.
   */
  sendRtp(packet: Buffer): boolean {
    const track = this.track;
    if (!track || !this.trackOpen || !this.verified || this.closing) return false;
    let sent: boolean;
    try {
      sent = track.sendMessageBinary(packet);
    } catch {
      // The library closed the track (the connection ended) before its closing reached us: not sent.
      return false;
    }
    if (sent) {
      this.sentPackets += 1;
      this.sentOctets += packet.length - 12;
      this.lastTimestamp = packet.readUInt32BE(4);
    }
    return sent;
  }

  /** Receiving: asks the remote for a keyframe (a PLI). */
  requestKeyframe(): boolean {
    return this.track !== undefined && !this.closing && this.track.isOpen() && this.track.requestKeyframe();
  }

  /** Sends a text message on the data channel; false if it is not open. */
  send(text: string): boolean {
    const channel = this.channel;
    if (!channel || !this.channelIsOpen || !channel.isOpen()) return false;
    return channel.sendMessage(text);
  }

  /** Resolves once the library has handed everything sent on the channel to SCTP, or after `timeoutMs`. */
  async flushed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.channelIsOpen && this.channel?.isOpen() && this.channel.bufferedAmount() > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Round trip in ms: from the remote's receiver reports on our video, else the SCTP association's. */
  rttMs(): number | undefined {
    if (this.rtcpRttMs !== undefined) return this.rtcpRttMs;
    if (this.closing || !this.verified) return undefined;
    const rtt = this.pc.rtt();
    return rtt > 0 ? rtt : undefined;
  }

  /**
   * Date.now() of the last thing heard from the remote: RTCP, a data-channel message, SCTP data
   * (the library's bytesReceived), or the connection coming up. Undefined before it did.
   */
  lastHeardAt(): number | undefined {
    if (this.verified && !this.closing) {
      const bytes = this.pc.bytesReceived();
      if (bytes !== this.bytesHeard) {
        this.bytesHeard = bytes;
        this.heardAt = Date.now();
      }
    }
    return this.heardAt;
  }

  /** 'channelClosed', once: the remote ended the channel (or the connection with it). */
  private sayChannelClosed(): void {
    if (this.channelClosedSaid) return;
    this.channelClosedSaid = true;
    this.emit('channelClosed');
  }

  private heardWithin(ms: number): boolean {
    const heard = this.lastHeardAt();
    return heard !== undefined && Date.now() - heard < ms;
  }

  /** The local address and port of the candidate pair in use, if one is. */
  selectedPath(): { local: string; remote: string } | undefined {
    if (this.closing) return undefined;
    const pair = this.pc.getSelectedCandidatePair();
    return pair ? { local: `${pair.local.address}:${pair.local.port}`, remote: `${pair.remote.address}:${pair.remote.port}` } : undefined;
  }

  /** Closes the connection; resolves once the library reports it closed (2 s at most). */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.closedByUs = true;
      clearInterval(this.reportTimer);
      clearInterval(this.channelWatch);
      this.pc.close();
    }
    if (this.closedState) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_WAIT_MS);
      this.closedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private onState(state: EngineState): void {
    if (this.closedState) return;
    if (state === 'closed') {
      this.closedState = true;
      clearInterval(this.reportTimer);
      const ours = this.closedByUs;
      // The library closed it by itself (the remote went): let go of the native connection now,
      // or cleanup() waits for it (lifetime.ts) and times out.
      this.closing = true;
      this.pc.close();
      released();
      for (const waiter of this.closedWaiters.splice(0)) waiter();
      if (ours) {
        this.emit('state', 'closed');
        return;
      }
      // Not our close: the remote ended it (an SCTP ABORT, a DTLS close alert), or it died under us
      // (the library gave up on a remote gone silent). Callbacks of different kinds reach
      // JavaScript in no fixed order, so which came first cannot tell them apart; the remote
      // having been heard just now can (a viewer sends RTCP every second or so).
      const endedByRemote = this.remoteClosedChannel || this.heardWithin(REMOTE_END_HEARD_MS);
      if (endedByRemote) this.remoteClosedChannel = true;
      setTimeout(() => {
        if (endedByRemote) this.sayChannelClosed();
        else if (!this.failedSaid) this.emit('state', 'failed');
        this.emit('state', 'closed');
      }, ORDER_SETTLE_MS * 2);
      return;
    }
    if (this.closing) return;
    if (state === 'failed') this.failedSaid = true;
    if (state === 'connected') {
      if (!this.verify()) return;
      this.heardAt = Date.now();
      this.startReports();
      if (this.channelOpened) this.emit('channelOpen');
    }
    this.emit('state', state);
  }

  /**
   * Whether the remote's DTLS certificate is the one its description's a=fingerprint names,
   * checked once, before any media or channel data passes either way. A mismatch closes the
   * connection at once with `failure` 'fingerprint'. libdatachannel reports the certificate's
   * SHA-256; a description naming another hash cannot be checked and is treated as a mismatch
   * (every WebRTC stack Pigeon meets writes sha-256).
   */
  private verify(): boolean {
    if (this.verified) return true;
    if (this.closing) return false;
    const expected = this.remoteSdp === undefined ? undefined : fingerprintOf(this.remoteSdp);
    const actual = this.pc.remoteFingerprint();
    if (!actual.value) return false;
    if (!expected || expected.algorithm !== actual.algorithm || expected.value !== actual.value.toUpperCase()) {
      this.failureReason = 'fingerprint';
      this.closing = true;
      this.closedByUs = true;
      this.pc.close();
      this.emit('state', 'failed');
      return false;
    }
    this.verified = true;
    return true;
  }

  /** Sender reports once a second while sending, so the remote's receiver reports give the round trip. */
  private startReports(): void {
    if (this.plan.direction !== 'sendonly' || this.reportTimer) return;
    this.reportTimer = setInterval(() => {
      const track = this.track;
      if (this.sentPackets === 0 || !track?.isOpen() || this.closing) return;
      track.sendMessageBinary(senderReport(this.ssrc, Date.now(), this.lastTimestamp, this.sentPackets, this.sentOctets));
    }, SENDER_REPORT_MS);
    this.reportTimer.unref();
  }

  private attach(track: Track): void {
    this.track = track;
    track.onOpen(guarded(() => (this.trackOpen = true)));
    track.onMessage(
      guarded((data) => {
        if (this.closing) return;
        this.heardAt = Date.now();
        const second = data[1] ?? 0;
        // RTCP packet types 192-223 share the RTP header's second byte (RFC 5761).
        if (second >= 192 && second <= 223) {
          const seen = readRtcp(data, this.ssrc, Date.now());
          if (seen.rttMs !== undefined) this.rtcpRttMs = seen.rttMs;
          if (seen.keyframe && this.plan.direction === 'sendonly' && this.verified) this.emit('keyframe');
        } else if (this.plan.direction === 'recvonly' && this.verify()) {
          this.emit('rtp', data);
        }
      }),
    );
    if (this.plan.direction === 'recvonly') track.setMediaHandler(new native.RtcpReceivingSession());
  }

  private adopt(channel: DataChannel): void {
    checkChannel(channel);
    if (this.channel) {
      // One channel per connection: a second one the remote opens is closed unread.
      channel.close();
      return;
    }
    this.channel = channel;
    channel.onOpen(
      guarded(() => {
        this.channelOpened = true;
        this.watchChannel(channel);
        if (this.verify() && !this.closing) this.emit('channelOpen');
      }),
    );
    channel.onMessage(guarded((data) => this.onChannelMessage(data)));
  }

  /**
   * Watches the open channel for its closing. node-datachannel's onClosed is not used: its wrapper
   * cleans the channel up right after that callback, cancelling any message callback still queued
   * for JavaScript (each callback has a queue of its own), so a message the remote sent just before
   * closing (a page's "bye") was lost. Unwatched, the wrapper keeps the channel and its messages
   * until we close it; isOpen() says when libdatachannel closed it.
   */
  private watchChannel(channel: DataChannel): void {
    clearInterval(this.channelWatch);
    this.channelWatch = setInterval(
      guarded(() => {
        if (channel.isOpen() && !this.closing) return;
        clearInterval(this.channelWatch);
        this.channelOpened = false;
        if (this.closedByUs) return;
        // Closed while the connection is still up, or as it ended with the remote heard just now:
        // the remote closed it. Said a moment later, after any message it sent before closing.
        if (this.pc.state() === 'connected' || this.heardWithin(REMOTE_END_HEARD_MS)) this.remoteClosedChannel = true;
        setTimeout(() => this.remoteClosedChannel && this.sayChannelClosed(), ORDER_SETTLE_MS);
      }),
      CHANNEL_WATCH_MS,
    );
    this.channelWatch.unref();
  }

  private onChannelMessage(data: string | Buffer | ArrayBuffer): void {
    if (this.closedByUs || !this.verify()) return;
    this.heardAt = Date.now();
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (bytes > this.config.maxMessageBytes) {
      this.emit('tooLarge');
      return;
    }
    this.emit('message', data instanceof ArrayBuffer ? Buffer.from(data) : data);
  }

  /** Our local description once gathering is complete (all candidates in it). */
  private async gathered(): Promise<string> {
    const deadline = Date.now() + GATHER_WAIT_MS;
    while (this.pc.gatheringState() !== 'complete' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    const sdp = this.pc.localDescription()?.sdp;
    if (!sdp) throw new EngineError('E_ENGINE_NO_DESCRIPTION', 'libdatachannel gave no local description');
    return this.config.ipv6 ? sdp : withoutIpv6(sdp);
  }
}
