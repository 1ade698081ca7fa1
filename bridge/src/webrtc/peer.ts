import { EventEmitter } from 'node:events';
import { RTCPeerConnection, RTCRtpCodecParameters, type RTCDataChannel, type RTCRtpCodecParameters as Codec, type RtpPacket } from 'werift';
import { onFingerprintMismatch } from '@pigeon/node-common';
import { describe, parseAgentMessage, parseSdp, type DecodedBlob, type Session } from '@pigeon/signal';
import type { VideoCodecName } from '@pigeon/bridge-wire';
import { BridgeProcessError } from '../core/errors.ts';
import { takeUnsignaledRtp } from './unsignaled.ts';

/**
 * One viewer's WebRTC connection to the Pi, and its only owner: a werift peer that answers the
 * agent's offer (receiving the 'pigeon' data channel the agent opens) or offers as a browser does
 * (opening the channel itself), and receives the video (recvonly). To the agent it is what a
 * browser is: the same answer or offer, the same RTCP, the same goodbye.
 */
export interface BridgePeerEvents {
  /** The Pi took the answer (or answered): DTLS is up, the video is on its way, and an offerer's channel is open. */
  connected: [];
  rtp: [packet: RtpPacket];
  message: [text: string];
  /** The connection ended from the Pi's side or the network's, with why; once, and never for a `leave` of our own. */
  ended: [code: string, reason: string];
}

const FEEDBACK = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }];

/** What the agent's encoders make: constrained baseline H.264 (packetization-mode 1) and VP8. */
function codecParameters(codec: VideoCodecName): RTCRtpCodecParameters {
  return codec === 'H264'
    ? new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        rtcpFeedback: FEEDBACK,
        parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      })
    : new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: FEEDBACK });
}

function mimeName(codec: Codec): string {
  return codec.mimeType.replace(/^video\//i, '');
}

function fmtp(codec: Codec, key: string): string | undefined {
  return codec.parameters?.split(';').map((p) => p.split('=')).find(([k]) => k === key)?.[1]?.toLowerCase();
}

/** H.264 as the agent's encoders make it (baseline, packetization-mode 1), or VP8. */
function usable(name: VideoCodecName, mime: string, param: (key: string) => string | undefined): boolean {
  if (mime.toLowerCase() !== name.toLowerCase()) return false;
  return name === 'VP8' || (param('packetization-mode') === '1' && (param('profile-level-id')?.startsWith('42') ?? false));
}

/** The first of `wanted` the Pi's offer carries. */
function chooseName(offer: DecodedBlob, wanted: readonly VideoCodecName[]): VideoCodecName | undefined {
  const offered = offer.session.media.find((m) => m.kind === 'video')?.codecs ?? [];
  return wanted.find((name) => offered.some((c) => usable(name, c.name, (key) => c.params[key]?.toLowerCase())));
}

export class BridgePeer extends EventEmitter<BridgePeerEvents> {
  private readonly pc: RTCPeerConnection;
  private channel: RTCDataChannel | undefined;
  private ssrc: number | undefined;
  /** The codec the video comes in: chosen when answering, the agent's choice when offering. */
  private negotiated: VideoCodecName | undefined;
  /** An offering peer's answer has been applied (or is being): a second one is refused. */
  private answered = false;
  private isUp = false;
  private closing = false;
  private ended = false;
  /** werift's DTLS found the Pi's certificate unlike the fingerprint in the Pi's SDP (watchFingerprint). */
  private mismatched = false;

  /**
   * @param codecs what this peer receives, preferred first (one when answering).
   * @param waitForChannel whether `connected` also waits for the data channel to open: a peer that
   *   made the channel itself (offering) has nothing to relay until the agent accepted it.
   */
  private constructor(
    codecs: readonly VideoCodecName[],
    private readonly waitForChannel: boolean,
  ) {
    super();
    this.pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', codecs: { video: codecs.map(codecParameters), audio: [] } });
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.up();
      if (state === 'failed') this.failed();
    });
    this.pc.onDataChannel.subscribe((channel) => this.adopt(channel));
  }

  /** The video's codec; undefined while an offer waits for the agent's answer. */
  get codec(): VideoCodecName | undefined {
    return this.negotiated;
  }

  /**
   * Answers the agent's offer with the first of `codecs` it carries. Resolves with the answer SDP,
   * every candidate gathered (a blob is one message).
   */
  static async answer(offer: DecodedBlob, codecs: readonly VideoCodecName[]): Promise<{ peer: BridgePeer; sdp: string; codec: VideoCodecName }> {
    if (!offer.session.media.some((m) => m.kind === 'video')) throw new BridgeProcessError('E_NO_VIDEO', "the Pi's offer has no video section");
    const name = chooseName(offer, codecs);
    if (!name) throw new BridgeProcessError('E_CODEC_MISMATCH', `the Pi offers none of ${codecs.join(', ')}, the codecs this page can decode`);
    const peer = new BridgePeer([name], false);
    try {
      await peer.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      peer.receive(name);
      // The agent offers a=setup:active (it is the DTLS client, so a slow pigeon loses no hello);
      // werift 0.24 answers as the client whatever the offer says, so it is told to be the server.
      if (offer.session.setup === 'active') for (const transport of peer.pc.dtlsTransports) transport.role = 'server';
      peer.watchFingerprint();
      peer.withoutStun();
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      return { peer, sdp: peer.localSdp(), codec: name };
    } catch (error) {
      await peer.pc.close();
      throw error;
    }
  }

  /**
   * Offers as a browser does (a reconnect, or the page offering to `pi-agent answer`): receive
   * video in any of `codecs`, preferred first, and the 'pigeon' data channel, opened by this side.
   * Resolves with the offer SDP, every candidate gathered. `acceptAnswer` takes the agent's answer.
   */
  static async offer(codecs: readonly VideoCodecName[]): Promise<{ peer: BridgePeer; sdp: string }> {
    const peer = new BridgePeer(codecs, true);
    try {
      peer.pc.addTransceiver('video', { direction: 'recvonly' });
      peer.adopt(peer.pc.createDataChannel('pigeon'));
      peer.watchFingerprint();
      peer.withoutStun();
      await peer.pc.setLocalDescription(await peer.pc.createOffer());
      return { peer, sdp: peer.localSdp() };
    } catch (error) {
      await peer.pc.close();
      throw error;
    }
  }

  /**
   * The agent's answer to `offer()`. It says a=setup:active (the agent is the DTLS client of every
   * connection): werift 0.24 as the offerer takes the answer's role and becomes the server, as a
   * browser does, so nothing is overridden here. The video's codec is the one the agent chose.
   */
  async acceptAnswer(sdp: string): Promise<void> {
    if (!this.waitForChannel) throw new BridgeProcessError('E_NOT_OFFERING', 'this viewer answered the Pi; it has no offer of its own to take an answer for');
    if (this.answered) throw new BridgeProcessError('E_ANSWERED', "this viewer's offer has been answered already");
    // werift 0.24 takes any text as an answer (even "not an SDP") and fails only when ICE gives up.
    let session: Session;
    try {
      session = parseSdp(sdp).session;
    } catch (error) {
      throw new BridgeProcessError('E_ANSWER_REFUSED', `the Pi's answer is not an SDP this bridge can use: ${describe(error).message}`, { cause: error });
    }
    if (!session.media.some((m) => m.kind === 'video' && !m.rejected)) throw new BridgeProcessError('E_NO_VIDEO', "the Pi's answer has no video section");
    this.answered = true;
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (error) {
      // Nothing was applied: the offer stands for the right answer.
      this.answered = false;
      throw new BridgeProcessError('E_ANSWER_REFUSED', `werift could not use the Pi's answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const transceiver = this.pc.getTransceivers().find((t) => t.kind === 'video');
    const codec = transceiver?.codecs.find((c) => usable('H264', mimeName(c), (key) => fmtp(c, key)) || usable('VP8', mimeName(c), (key) => fmtp(c, key)));
    if (!codec) throw new BridgeProcessError('E_CODEC_MISMATCH', "the Pi's answer has none of the codecs offered");
    this.receive(mimeName(codec).toUpperCase() === 'VP8' ? 'VP8' : 'H264');
  }

  /** Asks the Pi's encoder for a keyframe, as a browser does: an RTCP picture loss indication. */
  requestKeyframe(): void {
    const receiver = this.pc.getTransceivers().find((t) => t.kind === 'video')?.receiver;
    if (this.ssrc === undefined || !receiver || this.pc.connectionState !== 'connected') return;
    void receiver.sendRtcpPLI(this.ssrc).catch(() => undefined);
  }

  send(text: string): boolean {
    if (this.channel?.readyState !== 'open') return false;
    this.channel.send(text);
    return true;
  }

  /**
   * Leaves the way the page does: `bye` on the data channel, the channel closed (an SCTP stream
   * reset the agent sees at once), then the connection. werift's pc.close() alone puts nothing on
   * the wire, so without this the agent would find out only when ICE consent runs out (~30 s).
   */
  async leave(reason: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const channel = this.channel;
    if (channel?.readyState === 'open') {
      channel.send(JSON.stringify({ v: 1, type: 'bye', reason }));
      const closed = new Promise<void>((resolve) => channel.stateChanged.subscribe((state) => state === 'closed' && resolve()));
      channel.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
    }
    await this.pc.close();
  }

  /** Receives the video in `name`: the transceiver keeps only that codec and takes the Pi's unsignaled SSRC. */
  private receive(name: VideoCodecName): void {
    const transceiver = this.pc.getTransceivers().find((t) => t.kind === 'video');
    // The remote description's own entry (its payload type), as werift matched it to ours.
    const chosen = transceiver?.codecs.find((c) => usable(name, mimeName(c), (key) => fmtp(c, key)));
    if (!transceiver || !chosen) throw new BridgeProcessError('E_CODEC_MISMATCH', `werift found no ${name} in the Pi's description`);
    this.negotiated = name;
    transceiver.codecs = [chosen];
    transceiver.setDirection('recvonly');
    takeUnsignaledRtp(this.pc, transceiver);
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((packet) => {
        this.ssrc = packet.header.ssrc;
        this.emit('rtp', packet);
      });
    });
  }

  /**
   * werift checks the Pi's certificate against the fingerprint in the Pi's SDP (its offer when
   * answering, its answer when offering) and, on a mismatch, says only 'failed': the seam in
   * @pigeon/node-common tells this peer, so the failure is named for what it is. With max-bundle
   * there is one DTLS transport, made with the first description; none is added later.
   */
  private watchFingerprint(): void {
    for (const transport of this.pc.dtlsTransports) onFingerprintMismatch(transport, () => (this.mismatched = true));
  }

  /** ICE or DTLS gave up; or DTLS found the Pi's certificate not the one its SDP promised: a code not from this Pi. */
  private failed(): void {
    if (!this.mismatched) return this.end('E_CONNECTION_FAILED', 'the connection to the Pi failed (ICE or DTLS gave up)');
    const sdp = this.waitForChannel ? 'answer' : 'offer';
    this.end(
      'E_DTLS_FINGERPRINT',
      `the Pi this bridge reached presented a certificate that did not match the fingerprint in the Pi's ${sdp} (a mistaken or forged ${sdp}, not the network): that ${sdp} did not come from this Pi; ${this.waitForChannel ? "carry the Pi's answer again" : "scan the Pi's code again"}`,
    );
  }

  /** werift falls back to Google's STUN server when none is given: nobody asked for that traffic. */
  private withoutStun(): void {
    for (const transport of this.pc.iceTransports) transport.connection.stunServer = undefined;
  }

  private localSdp(): string {
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new BridgeProcessError('E_WEBRTC', 'werift gave no local description');
    return sdp;
  }

  /** Connected once: the connection is up, and the channel too when this side opened it. */
  private up(): void {
    if (this.isUp || this.pc.connectionState !== 'connected') return;
    if (this.waitForChannel && this.channel?.readyState !== 'open') return;
    this.isUp = true;
    this.emit('connected');
  }

  private adopt(channel: RTCDataChannel): void {
    this.channel = channel;
    channel.onMessage.subscribe((data) => {
      const text = typeof data === 'string' ? data : data.toString('utf8');
      this.emit('message', text);
      const bye = agentBye(text);
      if (bye !== undefined) this.end('E_AGENT_BYE', `the Pi stopped the video: ${bye}`);
    });
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') this.up();
      if (state === 'closed' && !this.closing) this.end('E_AGENT_GONE', 'the Pi closed the connection');
    });
  }

  private end(code: string, reason: string): void {
    if (this.ended || this.closing) return;
    this.ended = true;
    this.emit('ended', code, reason);
  }
}

/** The reason of an agent's `bye`, or undefined for any other message (or none the page could read). */
function agentBye(text: string): string | undefined {
  try {
    const message = parseAgentMessage(text);
    return message.type === 'bye' ? message.reason : undefined;
  } catch {
    return undefined;
  }
}
