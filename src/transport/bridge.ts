import { BridgeClient, type BridgeClientEvents, type BridgeStatus } from './bridge-client.ts';
import { CanvasDecoder, type FrameSink } from '../playback/decoder.ts';
import { BridgeError } from '../bridge-wire/errors.ts';
import type { BridgeFrame } from '../bridge-wire/frame.ts';
import { MsePlayer } from '../playback/mse-player.ts';
import { Emitter } from '../events/emitter.ts';
import { ConnectionError, notUp } from '../events/viewer-error.ts';
import { decodeBlob, type DecodedBlob, type EncodedBlob } from '../signal/index.ts';
import { bytesToText } from '../signal/text.ts';
import { BridgeChannel } from './bridge-channel.ts';
import { choosePlayback, type DecoderPreference, type Playback } from './bridge-playback.ts';
import { offeredVideoCodecs } from './codecs.ts';
import type { EncodedFrames, EncodedVideoFrame, Transport, TransportEvents, TransportKind, TransportSample, TransportState, VideoFeed } from './transport.ts';

/**
 * The Pi's video through `pigeon-bridge` (docs/bridge.md), for a webview with no RTCPeerConnection
 * (WebKitGTK, Tauri on Linux): the bridge answers the Pi's code with its own WebRTC peer and
 * passes on the encoded frames and the 'pigeon' data channel over a loopback WebSocket; the
 * frames are decoded with WebCodecs onto the canvas the viewer gives (`drawOn`), or, where the
 * engine has no WebCodecs (or `decoder` says `mse`), played through MSE in its `<video>`
 * (`bridge-playback.ts` chooses, for each connection, before the codecs go to the bridge). One WebSocket
 * and one bridge viewer per transport. The bridge answers the Pi's code, or offers as a browser
 * would (a reconnect's new connection, the page offering to `pi-agent answer`); the agent's own
 * offer on a live connection (`renegotiate`) it cannot answer.
 */
export class BridgeTransport extends Emitter<TransportEvents> implements Transport {
  private readonly dataChannel = new BridgeChannel((text) => this.client?.send(text));
  private readonly feed: EncodedFrames;
  private readonly frameListeners = new Set<(frame: EncodedVideoFrame) => void>();
  /** Set once the bridge answered `hello`; every subscription to it is in `connectTo`. */
  private client: BridgeClient | undefined;
  private current: TransportState = 'new';
  private target: HTMLCanvasElement | HTMLVideoElement | undefined;
  private decoder: FrameSink | undefined;
  /** How the frames are shown, chosen with the codecs in answer() or offer(). */
  private playback: Playback | undefined;
  private bytes = 0;
  /**
   * Frames from the latest keyframe on while there is no canvas to draw on (a reconnect's new
   * connection, playing before it takes over): its decoder starts with them rather than waiting a
   * round trip to the Pi's encoder for another keyframe.
   */
  private held: BridgeFrame[] = [];
  private closed = false;
  /** The bridge closed its viewer: nothing is left there to `close`. */
  private viewerClosed = false;

  constructor(
    private readonly url: string,
    private readonly preference: DecoderPreference = 'auto',
  ) {
    super();
    const playback = (): Playback | undefined => this.playback;
    this.feed = {
      get surface() {
        return playback()?.surface ?? 'canvas';
      },
      subscribe: (listener) => {
        this.frameListeners.add(listener);
        return () => this.frameListeners.delete(listener);
      },
      drawOn: (canvas) => this.drawOn(canvas),
    };
  }

  get state(): TransportState {
    return this.current;
  }

  get video(): VideoFeed | undefined {
    return this.client ? { kind: 'frames', frames: this.feed } : undefined;
  }

  get channel(): BridgeChannel | undefined {
    return this.dataChannel.readyState === 'connecting' ? undefined : this.dataChannel;
  }

  /** Hands the Pi's code to the bridge with the codecs this engine decodes; resolves with the bridge's answer. */
  async answer(offer: DecodedBlob): Promise<EncodedBlob> {
    this.playback = await choosePlayback(this.preference, offeredVideoCodecs(offer.sdp));
    const { codecs } = this.playback;
    const client = await this.open('answered');
    const answered = reply(client, 'answer', 'answered');
    client.accept(bytesToText(offer.frame), codecs);
    const answer = await answered;
    this.connectTo(client);
    const decoded = decodeBlob(answer.bytes, { expect: 'answer' });
    return { type: 'answer', mode: decoded.mode, offerId: decoded.offerId, bytes: answer.bytes, text: answer.text, fallbackReasons: [] };
  }

  /** The bridge offers, as a browser would, the codecs this engine decodes and the 'pigeon' channel; resolves with its SDP. */
  async offer(): Promise<string> {
    this.playback = await choosePlayback(this.preference);
    const { codecs } = this.playback;
    const client = await this.open('offered');
    const offered = reply(client, 'offer', 'offered');
    client.offer(codecs);
    const { sdp } = await offered;
    this.connectTo(client);
    return sdp;
  }

  /** The Pi's answer to `offer()`: resolves once the bridge has taken it (ICE and DTLS follow). */
  async acceptAnswer(answerSdp: string): Promise<void> {
    const client = this.client;
    if (!client) throw new ConnectionError('E_NO_OFFER');
    const taken = reply(client, 'status', 'took the answer');
    client.answer(answerSdp);
    const { state, code, reason } = await taken;
    if (state === 'closed') throw new ConnectionError('E_BRIDGE_CLOSED', { detail: `${code ?? 'closed'}: ${reason ?? 'no reason given'}` });
  }

  renegotiate(): Promise<string> {
    return Promise.reject(new ConnectionError('E_BRIDGE_NO_RENEGOTIATION'));
  }

  /** Resolves once the bridge's viewer is connected with the channel open; rejects if it fails, ends or `timeoutMs` passes. */
  ready(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(notUp(`did not come up within ${timeoutMs / 1000} s`)), timeoutMs);
      const check = (): void => {
        if (this.closed || this.current === 'failed' || this.current === 'closed') finish(notUp(this.closed ? 'closed' : this.current));
        else if (this.current === 'connected' && this.dataChannel.readyState === 'open') finish();
      };
      const wires = [this.on('state', check), this.on('error', (error) => finish(error))];
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        wires.forEach((unsubscribe) => unsubscribe());
        if (error) reject(error);
        else resolve();
      };
      check();
    });
  }

  async sample(): Promise<TransportSample> {
    const decoded = this.decoder?.stats();
    return {
      width: decoded?.width || null,
      height: decoded?.height || null,
      fps: decoded ? decoded.fps : null,
      packetsLost: null,
      framesDecoded: decoded ? decoded.framesDecoded : null,
      bytesReceived: this.bytes,
      at: performance.now(),
      rttMs: null,
    };
  }

  /** Leaves for good: the bridge tells the agent (`bye`) and closes its peer. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current = 'closed';
    this.dataChannel.close();
    this.decoder?.close();
    this.decoder = undefined;
    this.held = [];
    const client = this.client;
    if (!client) return;
    try {
      if (!this.viewerClosed) client.close('the viewer closed the connection');
    } catch {
      // The bridge is gone already, and took the viewer with it.
    }
    client.disconnect();
  }

  /** A WebSocket to the bridge, for this transport's one viewer; `what` says what it was to do (for a close meanwhile). */
  private async open(what: string): Promise<BridgeClient> {
    const client = await BridgeClient.connect(this.url);
    if (!this.closed) return client;
    client.disconnect();
    throw new ConnectionError('E_BRIDGE_CLOSED', { detail: `closed before the bridge ${what}` });
  }

  private connectTo(client: BridgeClient): void {
    this.client = client;
    client.on('status', (status) => this.onStatus(status));
    client.on('message', (text) => this.dataChannel.received(text));
    client.on('frame', (frame) => this.onFrame(frame));
    client.on('error', ({ code, message }) => this.report('refusal', { by: 'bridge', code, message }));
    client.on('close', () => this.end(new BridgeError('E_BRIDGE_GONE', 'The Pigeon bridge went away (it stopped, or this page lost its connection to it). Start it again and open this page with the URL it prints.')));
    this.report('video', { kind: 'frames', frames: this.feed });
  }

  private onStatus({ state, code, reason }: BridgeStatus): void {
    switch (state) {
      case 'waiting':
        return;
      case 'connecting':
        // The Pi took the answer: it holds its side open, as a browser sees its ICE checks answered.
        this.report('reached', true);
        return this.setState('connecting');
      case 'connected':
        this.dataChannel.opened();
        this.report('channel', this.dataChannel);
        // A decoder made before the video came waits for a keyframe: ask now rather than at the next periodic one.
        this.requestKeyframe();
        return this.setState('connected');
      case 'closed':
        this.viewerClosed = true;
        switch (code) {
          case 'E_CONNECTION_FAILED':
            return this.setState('failed');
          case 'E_DTLS_FINGERPRINT':
            return this.end(new BridgeError('E_DTLS_FINGERPRINT', FINGERPRINT_MISMATCH));
          case 'E_AGENT_GONE':
            // The agent's channel closed: the page's words for that come from the channel's close.
            return this.dataChannel.ended();
          default:
            // The agent's bye was relayed as a message before this, and has been acted on already.
            return this.end(new ConnectionError('E_BRIDGE_CLOSED', { detail: `${code ?? 'closed'}: ${reason ?? 'no reason given'}` }));
        }
    }
  }

  private onFrame(frame: BridgeFrame): void {
    if (this.closed) return;
    this.bytes += frame.data.byteLength;
    if (this.decoder) this.decoder.decode(frame);
    else this.hold(frame);
    if (this.frameListeners.size === 0) return;
    const encoded: EncodedVideoFrame = { codec: frame.codec, data: frame.data, rtpTimestamp: frame.rtpTimestamp, timestampUs: frame.timestampUs, key: frame.keyframe };
    for (const listener of this.frameListeners) listener(encoded);
  }

  private drawOn(target: HTMLCanvasElement | HTMLVideoElement | undefined): void {
    if (target === this.target || this.closed) return;
    this.decoder?.close();
    this.target = target;
    const keyframe = (): void => this.requestKeyframe();
    this.decoder = target instanceof HTMLVideoElement ? new MsePlayer(target, keyframe) : target ? new CanvasDecoder(target, keyframe) : undefined;
    if (!this.decoder) return;
    const held = this.held.splice(0);
    for (const frame of held) this.decoder.decode(frame);
    if (held.length === 0) this.requestKeyframe();
  }

  /** Keeps what a new decoder can start from: a keyframe and what follows it, up to MAX_HELD_FRAMES. */
  private hold(frame: BridgeFrame): void {
    if (frame.keyframe) this.held = [frame];
    else if (this.held.length > 0 && this.held.length < MAX_HELD_FRAMES && !frame.discontinuity) this.held.push(frame);
    else this.held = [];
  }

  private requestKeyframe(): void {
    try {
      if (this.current === 'connected' || this.dataChannel.readyState === 'open') this.client?.requestKeyframe();
    } catch {
      // The bridge is gone; its close says so.
    }
  }

  private setState(state: TransportState): void {
    if (this.closed || state === this.current) return;
    this.current = state;
    this.report('state', state);
  }

  /** The connection is over for a reason of the bridge's: said once, then nothing more. */
  private end(error: Error): void {
    if (this.closed) return;
    this.report('error', error);
    this.dataChannel.ended();
    this.close();
  }

  /** After close() nothing more is said. */
  private report<K extends keyof TransportEvents>(type: K, detail: TransportEvents[K]): void {
    if (!this.closed) this.emit(type, detail);
  }
}

/**
 * The bridge reached a Pi whose DTLS certificate is not the one the code (its offer, or its
 * answer) names: the code came from somewhere else — mistaken, or forged by someone on the way.
 */
const FINGERPRINT_MISMATCH =
  'The Pi the bridge reached is not the one that made this code: its certificate did not match the code’s fingerprint. That is a mistaken or forged code, not a network problem. Scan (or paste) the code again from the Pi’s own screen or terminal.';

/** Held frames a CanvasDecoder takes at once without skipping to a keyframe (its queue allows 8). */
const MAX_HELD_FRAMES = 8;

/**
 * The bridge's reply to the request about to be sent (`answer` to `accept`, `offer` to `offer`, a
 * status to `answer`), or its refusal, or the socket closing; `what` is what the bridge was to do.
 */
function reply<K extends 'answer' | 'offer' | 'status'>(client: BridgeClient, type: K, what: string): Promise<BridgeClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const wires = [
      client.on(type, (detail) => (unwire(), resolve(detail))),
      client.on('error', ({ code, message }) => (unwire(), reject(new ConnectionError('E_BRIDGE_REFUSED', { detail: `${code}: ${message}` })))),
      client.on('close', () => (unwire(), reject(new BridgeError('E_BRIDGE_GONE', `The Pigeon bridge closed the connection before it ${what}.`)))),
    ];
    const unwire = (): void => wires.forEach((unsubscribe) => unsubscribe());
  });
}

/** The Pi's video through the bridge at `url` (as `pigeon-bridge` prints it), shown as `preference` says. */
export function bridgeTransport(url: string, preference: DecoderPreference = 'auto'): TransportKind {
  return {
    // Known only asynchronously (WebCodecs' isConfigSupported): answer() checks it.
    playableCodecs: () => undefined,
    create: () => new BridgeTransport(url, preference),
  };
}
