import { RTCPeerConnection, RTCRtpCodecParameters, type RTCDataChannel, type RTCRtpCodecParameters as Codec, type RtpPacket } from 'werift';
import { parseAgentMessage, type DecodedBlob } from '../../src/signal/index.ts';
import type { VideoCodecName } from '../../src/bridge/protocol.ts';
import { BridgeFailure } from './errors.ts';
import { takeUnsignaledRtp } from './unsignaled.ts';

/**
 * One viewer's WebRTC connection to the Pi, and its only owner: a werift peer answering the
 * agent's offer, receiving its video (recvonly) and the 'pigeon' data channel the agent opens.
 * To the agent it is what a browser is: the same answer, the same RTCP, the same goodbye.
 */
export interface PeerEvents {
  /** The Pi took the answer: DTLS is up and the video is on its way. */
  connected(): void;
  rtp(packet: RtpPacket): void;
  message(text: string): void;
  /** The connection ended from the Pi's side or the network's, with why. */
  ended(code: string, reason: string): void;
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

export class BridgePeer {
  private readonly pc: RTCPeerConnection;
  private channel: RTCDataChannel | undefined;
  private listeners: Partial<PeerEvents> = {};
  private ssrc: number | undefined;
  private closing = false;
  private ended = false;

  private constructor(readonly codec: VideoCodecName) {
    this.pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', codecs: { video: [codecParameters(codec)], audio: [] } });
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.listeners.connected?.();
      if (state === 'failed') this.end('E_CONNECTION_FAILED', 'the connection to the Pi failed (ICE or DTLS gave up)');
    });
    this.pc.onDataChannel.subscribe((channel) => this.adopt(channel));
  }

  /**
   * Answers the agent's offer with the first of `codecs` it carries. Resolves with the answer SDP,
   * every candidate gathered (a blob is one message).
   */
  static async answer(offer: DecodedBlob, codecs: readonly VideoCodecName[]): Promise<{ peer: BridgePeer; sdp: string }> {
    if (!offer.session.media.some((m) => m.kind === 'video')) throw new BridgeFailure('E_NO_VIDEO', "the Pi's offer has no video section");
    const name = chooseName(offer, codecs);
    if (!name) throw new BridgeFailure('E_CODEC_MISMATCH', `the Pi offers none of ${codecs.join(', ')}, the codecs this page can decode`);
    const peer = new BridgePeer(name);
    try {
      await peer.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      const transceiver = peer.pc.getTransceivers().find((t) => t.kind === 'video');
      // The offer's own entry (its payload type), as werift matched it to ours.
      const chosen = transceiver?.codecs.find((c) => usable(name, c.mimeType.replace(/^video\//i, ''), (key) => fmtp(c, key)));
      if (!transceiver || !chosen) throw new BridgeFailure('E_CODEC_MISMATCH', `werift found no ${name} in the Pi's offer`);
      transceiver.codecs = [chosen];
      transceiver.setDirection('recvonly');
      takeUnsignaledRtp(peer.pc, transceiver);
      transceiver.onTrack.subscribe((track) => {
        track.onReceiveRtp.subscribe((packet) => {
          peer.ssrc = packet.header.ssrc;
          peer.listeners.rtp?.(packet);
        });
      });
      // The agent offers a=setup:active (it is the DTLS client, so a slow pigeon loses no hello);
      // werift 0.24 answers as the client whatever the offer says, so it is told to be the server.
      if (offer.session.setup === 'active') for (const transport of peer.pc.dtlsTransports) transport.role = 'server';
      // werift falls back to Google's STUN server when none is given: nobody asked for that traffic.
      for (const transport of peer.pc.iceTransports) transport.connection.stunServer = undefined;
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      const sdp = peer.pc.localDescription?.sdp;
      if (!sdp) throw new BridgeFailure('E_WEBRTC', 'werift gave no answer');
      return { peer, sdp };
    } catch (error) {
      await peer.pc.close();
      throw error;
    }
  }

  /** One listener per event: the viewer that owns this peer. */
  on<K extends keyof PeerEvents>(event: K, listener: PeerEvents[K]): void {
    this.listeners[event] = listener;
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

  private adopt(channel: RTCDataChannel): void {
    this.channel = channel;
    channel.onMessage.subscribe((data) => {
      const text = typeof data === 'string' ? data : data.toString('utf8');
      this.listeners.message?.(text);
      const bye = agentBye(text);
      if (bye !== undefined) this.end('E_AGENT_BYE', `the Pi stopped the video: ${bye}`);
    });
    channel.stateChanged.subscribe((state) => {
      if (state === 'closed' && !this.closing) this.end('E_AGENT_GONE', 'the Pi closed the connection');
    });
  }

  private end(code: string, reason: string): void {
    if (this.ended || this.closing) return;
    this.ended = true;
    this.listeners.ended?.(code, reason);
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
