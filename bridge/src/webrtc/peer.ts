import { EventEmitter } from 'node:events';
import { EnginePeer, preferred, videoSection, type EngineConfig, type EngineState } from '@pigeon/engine';
import { describe, parseAgentMessage, parseSdp, type DecodedBlob, type Session } from '@pigeon/signal';
import type { VideoCodecName } from '@pigeon/bridge-wire';
import { BridgeProcessError } from '../core/errors.ts';

/**
 * One viewer's WebRTC connection to the Pi, and its only owner: an EnginePeer of @pigeon/engine
 * (libdatachannel) that answers the agent's offer (receiving the 'pigeon' data channel the agent
 * opens) or offers as a browser does (opening the channel itself), and receives the video
 * (recvonly). To the agent it is what a browser is: the same answer or offer, the same RTCP, the
 * same goodbye.
 */
export interface BridgePeerEvents {
  /** The Pi took the answer (or answered): DTLS is up, the video is on its way, and an offerer's channel is open. */
  connected: [];
  /** One RTP packet of the Pi's video, as it came off SRTP (depacketize/rtp.ts reads it). */
  rtp: [packet: Buffer];
  message: [text: string];
  /** The connection ended from the Pi's side or the network's, with why; once, and never for a `leave` of our own. */
  ended: [code: string, reason: string];
}

/**
 * No STUN or TURN server: the bridge reaches a Pi on its own network, as the agent's answers and
 * offers assume. The data channel's cap is the agent's (64 KiB, which a blob carries in 2 bits);
 * the agent's messages are at most 16 Ki characters.
 */
const CONFIG: EngineConfig = { iceServers: [], ipv6: false, maxMessageBytes: 64 * 1024 };

/** How long `leave` lets the goodbye reach SCTP before the connection is closed. */
const BYE_FLUSH_MS = 2000;

export class BridgePeer extends EventEmitter<BridgePeerEvents> {
  /** The codec the video comes in: chosen when answering, the agent's choice when offering. */
  private negotiated: VideoCodecName | undefined;
  /** An offering peer's answer has been applied (or is being): a second one is refused. */
  private answered = false;
  /** The engine said 'connected' (its DTLS check of the Pi's certificate passed) and has not ended since. */
  private reached = false;
  private channelOpen = false;
  private isUp = false;
  private closing = false;
  private ended = false;

  /**
   * @param offering whether this side made the offer: then `connected` also waits for the data
   *   channel to open (nothing to relay until the agent accepted it), and the SDP whose
   *   fingerprint the Pi's certificate must match is the Pi's answer (its offer otherwise).
   */
  private constructor(
    private readonly engine: EnginePeer,
    private readonly offering: boolean,
  ) {
    super();
    engine.on('state', (state) => this.onState(state));
    engine.on('channelOpen', () => {
      this.channelOpen = true;
      this.up();
    });
    engine.on('channelClosed', () => this.end('E_AGENT_GONE', 'the Pi closed the connection'));
    engine.on('rtp', (packet) => this.emit('rtp', packet));
    engine.on('message', (data) => this.onMessage(typeof data === 'string' ? data : data.toString('utf8')));
    // The agent's messages are far below the cap; one over it is not the agent's and is dropped unread.
    engine.on('tooLarge', () => undefined);
  }

  /** The video's codec; undefined while an offer waits for the agent's answer. */
  get codec(): VideoCodecName | undefined {
    return this.negotiated;
  }

  /**
   * Answers the agent's offer with the first of `codecs` it carries. Resolves with the answer SDP,
   * every candidate gathered (a blob is one message). The agent offers a=setup:active (it is the
   * DTLS client, so a slow pigeon loses no hello); libdatachannel answers a=setup:passive to that.
   */
  static async answer(offer: DecodedBlob, codecs: readonly VideoCodecName[]): Promise<{ peer: BridgePeer; sdp: string; codec: VideoCodecName }> {
    const section = videoSection(offer.sdp);
    if (!section || section.rejected) throw new BridgeProcessError('E_NO_VIDEO', "the Pi's offer has no video section");
    const chosen = preferred(section.codecs, codecs);
    if (!chosen) throw new BridgeProcessError('E_CODEC_MISMATCH', `the Pi offers none of ${codecs.join(', ')}, the codecs this page can decode`);
    const { peer: engine, sdp } = await EnginePeer.answer(CONFIG, { direction: 'recvonly', codecs: [chosen.codec] }, offer.sdp);
    const peer = new BridgePeer(engine, false);
    peer.negotiated = chosen.codec;
    return { peer, sdp, codec: chosen.codec };
  }

  /**
   * Offers as a browser does (a reconnect, or the page offering to `pi-agent answer`): receive
   * video in any of `codecs`, preferred first, and the 'pigeon' data channel, opened by this side.
   * Resolves with the offer SDP, every candidate gathered. The offer says a=setup:active, as the
   * agent's own offers do (the engine's choice, see EnginePeer.offer): the agent answers passive.
   * `acceptAnswer` takes the agent's answer.
   */
  static async offer(codecs: readonly VideoCodecName[]): Promise<{ peer: BridgePeer; sdp: string }> {
    const { peer: engine, sdp } = await EnginePeer.offer(CONFIG, { direction: 'recvonly', codecs });
    return { peer: new BridgePeer(engine, true), sdp };
  }

  /** The agent's answer to `offer()`. The video's codec is the one the agent chose. */
  acceptAnswer(sdp: string): Promise<void> {
    if (!this.offering) throw new BridgeProcessError('E_NOT_OFFERING', 'this viewer answered the Pi; it has no offer of its own to take an answer for');
    if (this.answered) throw new BridgeProcessError('E_ANSWERED', "this viewer's offer has been answered already");
    // Read here first, so text that is no SDP is refused with words a person can act on, and the engine never sees it.
    let session: Session;
    try {
      session = parseSdp(sdp).session;
    } catch (error) {
      throw new BridgeProcessError('E_ANSWER_REFUSED', `the Pi's answer is not an SDP this bridge can use: ${describe(error).message}`, { cause: error });
    }
    if (!session.media.some((m) => m.kind === 'video' && !m.rejected)) throw new BridgeProcessError('E_NO_VIDEO', "the Pi's answer has no video section");
    this.answered = true;
    try {
      this.engine.acceptAnswer(sdp);
    } catch (error) {
      // The offer stands for the right answer; unless the library's connection died while it was
      // taking this one (libdatachannel 0.24 can fail the DTLS handshake before it has stored the
      // description it is taking), and then 'ended' follows with E_CONNECTION_FAILED.
      this.answered = false;
      throw new BridgeProcessError('E_ANSWER_REFUSED', `libdatachannel could not use the Pi's answer: ${describe(error).message}`, { cause: error });
    }
    const codec = this.engine.video?.codec;
    if (codec === undefined) throw new BridgeProcessError('E_CODEC_MISMATCH', "the Pi's answer has none of the codecs offered");
    this.negotiated = codec;
    return Promise.resolve();
  }

  /** Asks the Pi's encoder for a keyframe, as a browser does: an RTCP picture loss indication (once the video flows). */
  requestKeyframe(): void {
    if (this.reached && !this.closing) this.engine.requestKeyframe();
  }

  send(text: string): boolean {
    return !this.closing && this.engine.send(text);
  }

  /**
   * Leaves the way the page does: `bye` on the data channel, handed to SCTP, then the connection
   * closed (libdatachannel resets the channel's stream and ends the association, which the agent
   * sees at once instead of when ICE consent runs out).
   */
  async leave(reason: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.engine.send(JSON.stringify({ v: 1, type: 'bye', reason }))) await this.engine.flushed(BYE_FLUSH_MS);
    await this.engine.close();
  }

  /**
   * 'connected' only once the Pi's certificate matched its SDP's fingerprint. 'disconnected' is
   * not an end: libjuice says it while a consent check goes unanswered and takes it back when the
   * next one is; it says 'failed' if the Pi stays silent. 'closed' of our own close is our leave.
   */
  private onState(state: EngineState): void {
    if (state === 'connected') {
      this.reached = true;
      this.up();
      return;
    }
    if (state === 'failed') {
      this.reached = false;
      this.failed();
    } else if (state === 'closed') {
      this.reached = false;
      this.end('E_AGENT_GONE', 'the Pi closed the connection');
    }
  }

  /** ICE or DTLS gave up; or the Pi's certificate was not the one its SDP promised: a code not from this Pi. */
  private failed(): void {
    if (this.engine.failure !== 'fingerprint') return this.end('E_CONNECTION_FAILED', 'the connection to the Pi failed (ICE or DTLS gave up)');
    const sdp = this.offering ? 'answer' : 'offer';
    this.end(
      'E_DTLS_FINGERPRINT',
      `the Pi this bridge reached presented a certificate that did not match the fingerprint in the Pi's ${sdp} (a mistaken or forged ${sdp}, not the network): that ${sdp} did not come from this Pi; ${this.offering ? "carry the Pi's answer again" : "scan the Pi's code again"}`,
    );
  }

  /** Connected once: the connection is up, and the channel too when this side opened it. */
  private up(): void {
    if (this.isUp || this.ended || !this.reached) return;
    if (this.offering && !this.channelOpen) return;
    this.isUp = true;
    this.emit('connected');
  }

  private onMessage(text: string): void {
    this.emit('message', text);
    const bye = agentBye(text);
    if (bye !== undefined) this.end('E_AGENT_BYE', `the Pi stopped the video: ${bye}`);
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
