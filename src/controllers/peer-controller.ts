import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AnswerDetail, ConnectionErrorCode, OfferDetail, SettingsDetail, TelemetryDetail, ViewerErrorDetail, ViewerStats } from '../events/index.ts';
import {
  PigeonError,
  ProtocolError,
  decodeBlob,
  encodeBlob,
  encodeMessage,
  isAgentCodec,
  isSignalError,
  parseAgentMessage,
  type AgentMessage,
  type StreamLimits,
  type StreamSettings,
  type ViewerMessage,
} from '../signal/index.ts';

/**
 * - `idle`: no offer yet
 * - `answering` / `offering`: building our answer / our offer (ICE gathering)
 * - `waiting`: our blob is ready; the Pi has not reached us yet (or, offering, has not answered)
 * - `connecting`: ICE checks are getting replies
 * - `connected`, `disconnected` (may come back), `failed`, `closed`
 */
export type PeerStatus = 'idle' | 'answering' | 'offering' | 'waiting' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface PeerCallbacks {
  onAnswer(answer: AnswerDetail): void;
  onOffer(offer: OfferDetail): void;
  onConnected(): void;
  onStats(stats: ViewerStats): void;
  onError(error: ViewerErrorDetail): void;
  onTelemetry(telemetry: TelemetryDetail): void;
  onSettings(settings: SettingsDetail): void;
  onDetections(detections: DetectionsMessage): void;
}

export type HelloMessage = Extract<AgentMessage, { type: 'hello' }>;
export type DetectionsMessage = Extract<AgentMessage, { type: 'detections' }>;

const STATS_INTERVAL_MS = 1000;
/** How long a reconnect waits for the agent's answer on the data channel. */
const RESTART_ANSWER_MS = 10_000;
/** How long a reconnect waits, after the answer, for the new connection and its channel. */
const RESTART_CONNECT_MS = 15_000;
/**
 * How long ICE gathering may take. With no STUN server it is local work (host candidates, mDNS
 * names) done in well under a second; a browser that never starts (Firefox after refusing the
 * BUNDLE-tag section) must not leave the page preparing forever.
 */
const GATHER_MS = 15_000;
/** What the agent can send, by its --encoder names, for the advice in codec errors. */
const AGENT_ENCODERS: Record<string, string> = { H264: '--encoder x264 (or v4l2h264)', VP8: '--encoder vp8' };
/** Retransmission and FEC wrappers: not codecs a browser plays or a Pi sends. */
const WRAPPERS = new Set(['RTX', 'RED', 'ULPFEC', 'FLEXFEC-03']);

export const CONNECTION_MESSAGES: Record<ConnectionErrorCode, string> = {
  E_ICE_FAILED:
    'Could not reach the Pi. Is this device on the same network as the Pi? A firewall, or a guest Wi-Fi that keeps devices apart, blocks the video. The Pi’s code may also have expired (after 10 minutes) or been used already. Get a fresh code from the Pi and try again.',
  E_DISCONNECTED: 'The connection to the Pi was lost. Get a fresh code from the Pi and paste it again.',
  E_WEBRTC: 'This browser could not set up the video connection.',
  E_OTHER_OFFER: 'This answer is for another offer, not the one this page shows now. Give the Pi this page’s offer again and use its new answer.',
  E_NO_OFFER: 'This page has made no offer yet, so there is nothing to answer. Press “Create an offer” first.',
  E_CHANNEL_CLOSED:
    'The Pi closed the connection (its data channel is gone), so it cannot be reconnected from here. Get a fresh code from the Pi and paste it again.',
  E_RESTART: 'Reconnecting over the data channel did not work.',
  E_AGENT_STOPPED: 'The Pi agent has gone away. Start it again on the Pi and scan (or paste) its new code.',
  E_CODE_EXPIRED:
    'The Pi stopped answering before it read this page’s answer: its code has expired (a code lasts 10 minutes unless the Pi was started with another --offer-ttl), or the Pi agent was restarted. The Pi shows a fresh code by itself: scan or paste that one.',
  E_CODEC_UNPLAYABLE: 'This browser cannot play the video codecs the Pi sends.',
  E_GATHER_TIMEOUT: `This browser did not finish gathering its network addresses within ${GATHER_MS / 1000} s, so it has no code to show.`,
};

/** The video codecs this browser can receive, upper-case (`VP8`, `H264` …); undefined where it cannot say. */
export function playableVideoCodecs(): string[] | undefined {
  const codecs = globalThis.RTCRtpReceiver?.getCapabilities?.('video')?.codecs;
  if (!codecs) return undefined;
  return [...new Set(codecs.map((c) => c.mimeType.replace(/^video\//i, '').toUpperCase()).filter((name) => !WRAPPERS.has(name)))];
}

/** The video codecs an SDP offers, upper-case, in its order; refused (port 0) sections left out. */
export function offeredVideoCodecs(sdp: string): string[] {
  const names: string[] = [];
  for (const section of sdp.split(/\r?\n(?=m=)/)) {
    if (!/^m=video [1-9]/.test(section)) continue;
    for (const [, name] of section.matchAll(/^a=rtpmap:\d+ ([^/\s]+)\//gm)) {
      const upper = name!.toUpperCase();
      if (!WRAPPERS.has(upper) && !names.includes(upper)) names.push(upper);
    }
  }
  return names;
}

const spoken = (names: string[]): string => names.map((n) => (n === 'H264' ? 'H.264' : n)).join(', ') || 'nothing';

/** The words for a Pi offer this browser cannot play: what it offered, what plays here, what to do. */
function unplayableMessage(offered: string[], playable: string[]): string {
  const usable = playable.filter((name) => AGENT_ENCODERS[name]).map((name) => AGENT_ENCODERS[name]);
  const only = offered.length === 1 ? `only ${spoken(offered)}` : spoken(offered);
  // The agent offers H.264 and VP8 unless it was started with --single-codec.
  const advice =
    usable.length > 0
      ? `start the agent without --single-codec (it then offers H.264 and VP8), or with ${usable.join(' or ')}`
      : 'open this page in a browser that plays H.264 or VP8 (Chromium, Chrome, Edge, Safari)';
  return `This browser cannot play ${spoken(offered)} and the Pi offered ${only} — ${advice}. This browser plays ${spoken(playable)}.`;
}

/**
 * Owns the RTCPeerConnection that answers one Pi offer: non-trickle (the answer is encoded only
 * after ICE gathering is complete, since there is no channel for later candidates), no STUN or
 * TURN servers (Pigeon is for networks with no internet), the answer carries the offer's id.
 */
export class PeerController implements ReactiveController {
  status: PeerStatus = 'idle';
  /** Which side this page plays in the current attempt. */
  role: 'answerer' | 'offerer' = 'answerer';
  stream: MediaStream | undefined;
  /** The agent's 'pigeon' data channel: telemetry, detections, control and re-signaling. */
  channel: RTCDataChannel | undefined;
  /** The agent's hello: its name, this viewer's number, what it streams and what may be asked for. */
  hello: HelloMessage | undefined;
  /** What the encoder makes now: from the hello, then from each `settings` message. */
  settings: StreamSettings | undefined;
  /** The last `settings` message's viewer, when another viewer changed the quality. */
  settingsBy: number | undefined;
  limits: StreamLimits | undefined;
  telemetry: TelemetryDetail | undefined;
  /** True while a reconnect over the data channel waits for its new connection. */
  restarting = false;
  /** Messages the agent sent that were refused (malformed, oversize, newer version). */
  refused = 0;
  stats: ViewerStats | undefined;
  error: ViewerErrorDetail | undefined;
  /**
   * When our blob was ready (epoch ms), while the Pi has not yet reached us with it: the person
   * carrying it may take minutes, and the page waits as long as the code lives, with no timeout
   * of its own.
   */
  waitingSince: number | undefined;
  /** The Pi answered our ICE checks before DTLS started: it holds its side of this attempt open. */
  piReached = false;
  /**
   * The video codecs this page's own offer carries, while it is the offering side: a Pi that
   * sends another refuses it on its own terminal (E_CODEC_MISMATCH), which the page cannot see.
   */
  offeredCodecs: string[] | undefined;

  private pc: RTCPeerConnection | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Redraws the waiting time once a second while `waitingSince` is set. */
  private waitClock: ReturnType<typeof setInterval> | undefined;
  private lastBytes: { bytes: number; at: number } | undefined;
  /** Our own offer's id while we are the offering side. */
  private offerId: number | undefined;
  /** True from the first `connected` until close(): a later failure is a lost connection, not an unreachable Pi. */
  connectedOnce = false;
  /** Each accept() call gets a number, so a late result of a replaced offer is dropped. */
  private generation = 0;
  /** The new connection a reconnect is bringing up once its answer is applied: the old one may close meanwhile. */
  private handover: RTCPeerConnection | undefined;
  /** The agent's answer to our reconnect offer, awaited by reconnect(). */
  private pendingAnswer: { resolve: (blob: string) => void; reject: (error: Error) => void } | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly callbacks: PeerCallbacks,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    // Nothing else to set up until an offer arrives; accept() does it.
    globalThis.addEventListener?.('pagehide', this.onPageHide);
  }

  hostDisconnected(): void {
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    this.close();
  }

  /**
   * The tab closing, a reload, navigating away: the agent is told before the page goes, so it
   * frees this viewer's slot at once rather than when ICE consent runs out (~30 s). The closing
   * connection's own SCTP ABORT says the same, if the browser gets it out.
   */
  private readonly onPageHide = (): void => {
    this.send({ v: 1, type: 'bye', reason: 'the page was closed' });
  };

  /** Answers `offerText` (a `pigeon:` blob). Failures become `error` state and onError, never a rejection. */
  async accept(offerText: string): Promise<void> {
    const generation = this.begin('answering');
    this.role = 'answerer';
    try {
      const offer = decodeBlob(offerText, { expect: 'offer' });
      // Said now: a browser given only codecs it cannot play refuses the video and may never
      // finish its answer (Firefox without H.264 refuses the BUNDLE tag and never gathers).
      const offered = offeredVideoCodecs(offer.sdp);
      const playable = playableVideoCodecs();
      if (playable && offered.length > 0 && !offered.some((name) => playable.includes(name))) {
        return this.fail({ code: 'E_CODEC_UNPLAYABLE', message: unplayableMessage(offered, playable) });
      }
      const pc = this.newPeer();
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      const sdp = await gathered(pc);
      if (generation !== this.generation) return;
      const answer = encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId });
      this.startWaiting();
      if (this.status === 'answering') this.setStatus('waiting');
      this.callbacks.onAnswer({ text: answer.text, bytes: answer.bytes, offerId: offer.offerId });
    } catch (error) {
      if (generation === this.generation) this.failWith(error);
    }
  }

  /**
   * The other way round, for `pi-agent answer`: this page offers (receive video, the 'pigeon'
   * data channel), reduced to the codecs the agent sends so the blob stays compact.
   */
  async offer(): Promise<void> {
    const generation = this.begin('offering');
    this.role = 'offerer';
    try {
      const playable = playableVideoCodecs();
      if (playable && !playable.some((name) => AGENT_ENCODERS[name])) {
        return this.fail({
          code: 'E_CODEC_UNPLAYABLE',
          message: `${CONNECTION_MESSAGES.E_CODEC_UNPLAYABLE} A Pi sends H.264 or VP8; this browser plays ${spoken(playable)}.`,
        });
      }
      const pc = this.newPeer();
      pc.addTransceiver('video', { direction: 'recvonly' });
      this.adopt(pc.createDataChannel('pigeon'));
      await pc.setLocalDescription(await pc.createOffer());
      const sdp = await gathered(pc);
      if (generation !== this.generation) return;
      // A fresh id each time, so the Pi's answer is matched to this very offer.
      const offerId = crypto.getRandomValues(new Uint16Array(1))[0]!;
      const blob = encodeBlob({ type: 'offer', sdp }, { offerId, keepCodec: isAgentCodec });
      this.offerId = offerId;
      this.offeredCodecs = offeredVideoCodecs(decodeBlob(blob.bytes).sdp);
      this.startWaiting();
      this.setStatus('waiting');
      this.callbacks.onOffer({ text: blob.text, bytes: blob.bytes, offerId });
    } catch (error) {
      if (generation === this.generation) this.failWith(error);
    }
  }

  /** Takes the Pi's answer to our offer. Failures become `error` state and onError. */
  async acceptAnswer(answerText: string): Promise<void> {
    const pc = this.pc;
    try {
      const answer = decodeBlob(answerText, { expect: 'answer' });
      if (!pc || this.offerId === undefined) return this.fail({ code: 'E_NO_OFFER', message: CONNECTION_MESSAGES.E_NO_OFFER });
      if (answer.offerId !== undefined && answer.offerId !== this.offerId) {
        return this.fail({ code: 'E_OTHER_OFFER', message: CONNECTION_MESSAGES.E_OTHER_OFFER }, false);
      }
      this.error = undefined;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      this.host.requestUpdate();
    } catch (error) {
      if (pc === this.pc) this.failWith(error, false);
    }
  }

  /** Closes what was there and starts a new attempt; returns its generation. */
  private begin(status: PeerStatus): number {
    this.close();
    const generation = ++this.generation;
    this.error = undefined;
    this.setStatus(status);
    return generation;
  }

  /** A connection as Pigeon makes them: no STUN or TURN server, everything bundled. */
  private static connection(): RTCPeerConnection {
    return new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
  }

  private newPeer(): RTCPeerConnection {
    const pc = PeerController.connection();
    this.pc = pc;
    this.wire(pc);
    return pc;
  }

  /** Points `pc`'s events at this controller, for as long as it is the current connection. */
  private wire(pc: RTCPeerConnection): void {
    pc.ontrack = (event) => {
      if (pc !== this.pc) return;
      this.stream = event.streams[0] ?? new MediaStream([event.track]);
      this.host.requestUpdate();
    };
    pc.ondatachannel = (event) => {
      if (pc === this.pc) this.adopt(event.channel);
    };
    pc.onconnectionstatechange = () => this.onConnectionState(pc);
    pc.oniceconnectionstatechange = () => {
      if (pc !== this.pc || this.connectedOnce) return;
      if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') this.piReached = true;
    };
  }

  /** Stops `pc` and the current channel from reporting anything more: what they would say is said already. */
  private unwire(pc: RTCPeerConnection): void {
    pc.onconnectionstatechange = pc.oniceconnectionstatechange = pc.ontrack = pc.ondatachannel = null;
    if (this.channel) this.channel.onclose = this.channel.onmessage = null;
  }

  private failWith(error: unknown, final = true): void {
    this.fail(
      isSignalError(error) || error instanceof GatherTimeoutError
        ? { code: error.code, message: error.message }
        : { code: 'E_WEBRTC', message: `${CONNECTION_MESSAGES.E_WEBRTC} (${String(error)})` },
      final,
    );
  }

  close(): void {
    this.send({ v: 1, type: 'bye', reason: 'the viewer closed the connection' });
    this.generation++;
    this.stopStats();
    if (this.pc) this.unwire(this.pc);
    this.channel = undefined;
    this.hello = this.settings = this.settingsBy = this.limits = this.telemetry = undefined;
    this.restarting = false;
    this.pendingAnswer = undefined;
    this.handover?.close();
    this.handover = undefined;
    this.stream = undefined;
    this.stats = undefined;
    this.lastBytes = undefined;
    this.connectedOnce = false;
    this.stopWaiting();
    this.piReached = false;
    this.offerId = undefined;
    this.offeredCodecs = undefined;
    if (this.pc) {
      this.pc.close();
      this.pc = undefined;
      this.setStatus('closed');
    }
  }

  /** Sends a message to the agent; false when the data channel is not open (or it is too large). */
  send(message: ViewerMessage): boolean {
    if (this.channel?.readyState !== 'open') return false;
    try {
      this.channel.send(encodeMessage(message));
      return true;
    } catch (error) {
      console.warn('pigeon: could not send to the agent:', error);
      return false;
    }
  }

  /**
   * Reconnects with no new QR code: a fresh connection (new ICE credentials and candidates, new
   * DTLS) whose offer goes to the agent over the data channel that still works, and whose answer
   * comes back on it. The old connection plays until the new one is up, then is closed. Not an
   * in-place ICE restart, which the agent's WebRTC stack (werift 0.24) cannot do without losing
   * the session (see docs/protocol.md). Failures become error state, never a rejection; the old
   * connection goes on if it still can.
   */
  async reconnect(): Promise<void> {
    const old = this.pc;
    if (!old || this.channel?.readyState !== 'open') {
      return this.fail({ code: 'E_RESTART', message: `${CONNECTION_MESSAGES.E_RESTART} There is no open data channel to the Pi.` }, false);
    }
    if (this.restarting) return;
    this.restarting = true;
    this.error = undefined;
    this.host.requestUpdate();
    const next = PeerController.connection();
    next.addTransceiver('video', { direction: 'recvonly' });
    const nextChannel = next.createDataChannel('pigeon');
    try {
      await next.setLocalDescription(await next.createOffer());
      const sdp = await gathered(next);
      const offerId = crypto.getRandomValues(new Uint16Array(1))[0]!;
      const answerText = await this.askAgent(encodeBlob({ type: 'offer', sdp }, { offerId, keepCodec: isAgentCodec }).text);
      const answer = decodeBlob(answerText, { expect: 'answer' });
      if (answer.offerId !== undefined && answer.offerId !== offerId) throw new Error('the Pi answered another offer');
      if (old !== this.pc) return next.close();
      // From here the agent closes the old connection as soon as the new one is up on its side.
      this.handover = next;
      await next.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      await connectedWithChannel(next, nextChannel, RESTART_CONNECT_MS);
      if (old !== this.pc || this.handover !== next) return next.close();
      this.takeOver(old, next, nextChannel);
    } catch (error) {
      next.close();
      this.handover = undefined;
      // Overtaken (started over, or the old connection's own failure was already said).
      if (old !== this.pc || this.status === 'failed') return;
      const why = isSignalError(error) ? error.message : error instanceof Error ? error.message : String(error);
      const oldAlive = this.channel?.readyState === 'open' && old.connectionState === 'connected';
      if (oldAlive) this.fail({ code: 'E_RESTART', message: `${CONNECTION_MESSAGES.E_RESTART} (${why})` }, false);
      else {
        // The old connection went down during the hand-over: nothing is left to play.
        this.unwire(old);
        this.stopStats();
        this.fail({ code: 'E_DISCONNECTED', message: CONNECTION_MESSAGES.E_DISCONNECTED });
      }
    } finally {
      if (this.pc === old || this.pc === next) {
        this.pendingAnswer = undefined;
        this.restarting = false;
        this.host.requestUpdate();
      }
    }
  }

  /** Sends our offer as a `signal` message and waits for the agent's answer (or its refusal). */
  private askAgent(offerText: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the Pi within ${RESTART_ANSWER_MS / 1000} s`)), RESTART_ANSWER_MS);
      this.pendingAnswer = {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      if (!this.send({ v: 1, type: 'signal', blob: offerText })) this.pendingAnswer.reject(new Error('the data channel closed'));
    });
  }

  /** The new connection is up: it carries everything from now on; the old one is closed. */
  private takeOver(old: RTCPeerConnection, next: RTCPeerConnection, nextChannel: RTCDataChannel): void {
    this.unwire(old);
    old.close();
    this.handover = undefined;
    this.pc = next;
    this.wire(next);
    this.adopt(nextChannel);
    // Its track came before it was the current connection, so wire() did not see it.
    const track = next.getReceivers().find((receiver) => receiver.track.kind === 'video')?.track;
    if (track) this.stream = new MediaStream([track]);
    this.lastBytes = undefined;
    this.startStats();
    this.host.requestUpdate();
  }

  private adopt(channel: RTCDataChannel): void {
    if (channel.label !== 'pigeon') return;
    this.channel = channel;
    channel.onmessage = (event: MessageEvent<unknown>) => this.receive(event.data);
    channel.onclose = () => {
      // During a reconnect's hand-over the agent closes the old connection on purpose.
      if (channel !== this.channel || !this.pc || this.handover) return;
      // Without the channel there is no way to re-signal: only a fresh code from the Pi helps.
      // The connection's own later states (disconnected, failed) would only say it again.
      this.unwire(this.pc);
      this.stopStats();
      this.fail({ code: 'E_CHANNEL_CLOSED', message: CONNECTION_MESSAGES.E_CHANNEL_CLOSED });
      // A reconnect waiting for its answer on this channel will not get one.
      this.pendingAnswer?.reject(new Error('the data channel closed'));
    };
  }

  /** One message from the agent. Never throws: a bad one is answered with an `error` message. */
  private receive(data: unknown): void {
    let message: AgentMessage | { type: 'unknown'; name: string };
    try {
      if (typeof data !== 'string') throw new ProtocolError('E_MSG_NOT_JSON', 'binary message; the protocol is JSON text');
      message = parseAgentMessage(data);
    } catch (error) {
      const refusal = error instanceof ProtocolError ? error : new ProtocolError('E_MSG_MALFORMED', String(error));
      this.refused++;
      console.warn(`pigeon: refused a message from the agent (${refusal.code}): ${refusal.message}`);
      this.send({ v: 1, type: 'error', code: refusal.code, message: refusal.message });
      return;
    }
    switch (message.type) {
      case 'hello':
        this.hello = message;
        this.settings = message.settings;
        this.limits = message.limits;
        break;
      case 'telemetry': {
        const { fps, kbps, viewers, cpu, tempC } = message;
        this.telemetry = tempC === undefined ? { fps, kbps, viewers, cpu } : { fps, kbps, viewers, cpu, tempC };
        this.callbacks.onTelemetry(this.telemetry);
        break;
      }
      case 'detections':
        this.callbacks.onDetections(message);
        return;
      case 'settings': {
        this.settings = message.settings;
        const mine = message.by !== undefined && message.by === this.hello?.viewer;
        this.settingsBy = message.by === undefined || mine ? undefined : message.by;
        this.callbacks.onSettings(message.by === undefined ? { settings: message.settings, mine } : { settings: message.settings, by: message.by, mine });
        break;
      }
      case 'signal':
        void this.onSignal(message.blob);
        return;
      case 'bye':
        this.onBye(message.reason);
        return;
      case 'error':
        console.warn(`pigeon: the agent refused a message (${message.code}): ${message.message}`);
        // While our restart offer is out, a refusal is its answer: say why now, not after a timeout.
        this.pendingAnswer?.reject(new Error(`the Pi said: ${message.message}`));
        return;
      case 'unknown':
        // A newer agent's message: not an error.
        return;
    }
    this.host.requestUpdate();
  }

  /** The agent says it is going away: say so now, rather than when ICE gives up some 15 s later. */
  private onBye(reason: string): void {
    const pc = this.pc;
    if (!pc) return;
    this.unwire(pc);
    this.stopStats();
    // A reconnect under way ends quietly: with `pc` gone it knows it was overtaken.
    this.pc = undefined;
    this.pendingAnswer?.reject(new Error('the Pi agent has gone away'));
    this.pendingAnswer = undefined;
    this.restarting = false;
    this.handover?.close();
    this.handover = undefined;
    pc.close();
    this.fail({ code: 'E_AGENT_STOPPED', message: CONNECTION_MESSAGES.E_AGENT_STOPPED.replace('away.', `away (${reason}).`) });
  }

  /** A blob from the agent: the answer to our reconnect offer, or its own in-place offer (ICE restart, renegotiation), which we answer. */
  private async onSignal(text: string): Promise<void> {
    const pc = this.pc;
    try {
      const blob = decodeBlob(text);
      if (blob.type === 'answer') {
        if (this.pendingAnswer) this.pendingAnswer.resolve(text);
        else console.warn('pigeon: the agent sent an answer nobody asked for');
        return;
      }
      if (!pc) return;
      await pc.setRemoteDescription({ type: 'offer', sdp: blob.sdp });
      const sdp = await gatheredAfter(pc, async () => pc.setLocalDescription(await pc.createAnswer()));
      if (pc !== this.pc) return;
      this.send({ v: 1, type: 'signal', blob: encodeBlob({ type: 'answer', sdp }, { offerId: blob.offerId }).text });
    } catch (error) {
      const message = isSignalError(error) ? `${error.code}: ${error.message}` : String(error);
      console.warn('pigeon: could not use the agent’s signal blob:', message);
      this.send({ v: 1, type: 'error', code: isSignalError(error) ? error.code : 'E_SIGNAL', message });
    }
  }

  private onConnectionState(pc: RTCPeerConnection): void {
    if (pc !== this.pc) return;
    // The old connection ending while a reconnect hands over is expected; reconnect() decides.
    if (this.handover && pc.connectionState !== 'connected') return;
    switch (pc.connectionState) {
      case 'connecting':
        this.setStatus('connecting');
        break;
      case 'connected':
        this.connectedOnce = true;
        this.stopWaiting();
        this.setStatus('connected');
        this.startStats();
        this.callbacks.onConnected();
        break;
      case 'disconnected':
        this.setStatus('disconnected');
        break;
      case 'failed': {
        this.stopStats();
        this.stopWaiting();
        // The Pi answered our checks while it held its code, then stopped: it dropped the code.
        const code = this.connectedOnce ? 'E_DISCONNECTED' : this.piReached && this.role === 'answerer' ? 'E_CODE_EXPIRED' : 'E_ICE_FAILED';
        this.fail({ code, message: CONNECTION_MESSAGES[code] });
        this.pendingAnswer?.reject(new Error('the connection failed'));
        break;
      }
      case 'closed':
        this.setStatus('closed');
        break;
      case 'new':
        break;
    }
  }

  /** `final: false` for a bad answer pasted while our offer still stands: the next paste may be right. */
  private fail(error: ViewerErrorDetail, final = true): void {
    this.error = error;
    if (final) this.stopWaiting();
    if (final) this.setStatus('failed');
    else this.host.requestUpdate();
    this.callbacks.onError(error);
  }

  private startWaiting(): void {
    this.stopWaiting();
    this.waitingSince = Date.now();
    this.waitClock = setInterval(() => this.host.requestUpdate(), 1000);
    this.host.requestUpdate();
  }

  private stopWaiting(): void {
    if (this.waitClock !== undefined) clearInterval(this.waitClock);
    this.waitClock = undefined;
    this.waitingSince = undefined;
  }

  private setStatus(status: PeerStatus): void {
    this.status = status;
    this.host.requestUpdate();
  }

  private startStats(): void {
    this.stopStats();
    this.timer = setInterval(() => void this.sample(), STATS_INTERVAL_MS);
    void this.sample();
  }

  private stopStats(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sample(): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    const report = await pc.getStats();
    if (pc !== this.pc) return;
    const stats: ViewerStats = { width: null, height: null, fps: null, kbps: null, rttMs: null, packetsLost: null, framesDecoded: null };
    let pairId: string | undefined;
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        stats.width = num(s.frameWidth);
        stats.height = num(s.frameHeight);
        stats.fps = num(s.framesPerSecond);
        stats.packetsLost = num(s.packetsLost);
        stats.framesDecoded = num(s.framesDecoded);
        const bytes = num(s.bytesReceived);
        const at = num(s.timestamp);
        if (bytes !== null && at !== null) {
          if (this.lastBytes && at > this.lastBytes.at) stats.kbps = ((bytes - this.lastBytes.bytes) * 8) / (at - this.lastBytes.at);
          this.lastBytes = { bytes, at };
        }
      }
      if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pairId = s.selectedCandidatePairId;
    });
    const pair = pairId === undefined ? undefined : (report.get(pairId) as Record<string, unknown> | undefined);
    const rtt = num(pair?.currentRoundTripTime);
    stats.rttMs = rtt === null ? null : rtt * 1000;
    this.stats = stats;
    this.callbacks.onStats(stats);
    this.host.requestUpdate();
  }
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Runs `action` (a setLocalDescription that restarts gathering) and then waits for gathering to
 * complete again: listening first, so the old `complete` state is not taken for the new one.
 */
async function gatheredAfter(pc: RTCPeerConnection, action: () => Promise<void>): Promise<string> {
  let started = false;
  const done = new Promise<void>((resolve) => {
    const check = (): void => {
      if (pc.iceGatheringState === 'gathering') started = true;
      if (!started || pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', check);
  });
  await action();
  // Nothing new to gather (no restart, same transport): the description is already complete.
  if (pc.iceGatheringState === 'complete' && !started) await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 500))]);
  else await done;
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error('no local description after ICE gathering');
  return sdp;
}

/** Resolves once `pc` is connected and `channel` open; rejects if either fails or `timeoutMs` passes. */
function connectedWithChannel(pc: RTCPeerConnection, channel: RTCDataChannel, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`the new connection did not come up within ${timeoutMs / 1000} s`)), timeoutMs);
    const check = (): void => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') finish(new Error(`the new connection ${pc.connectionState}`));
      else if (channel.readyState === 'closed') finish(new Error('the new data channel closed'));
      else if (pc.connectionState === 'connected' && channel.readyState === 'open') finish();
    };
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      pc.removeEventListener('connectionstatechange', check);
      channel.removeEventListener('open', check);
      channel.removeEventListener('close', check);
      if (error) reject(error);
      else resolve();
    };
    pc.addEventListener('connectionstatechange', check);
    channel.addEventListener('open', check);
    channel.addEventListener('close', check);
    check();
  });
}

/** Gathering that did not finish: what the browser did, in words. */
export class GatherTimeoutError extends PigeonError<'E_GATHER_TIMEOUT'> {
  override readonly name = 'GatherTimeoutError';

  constructor(state: RTCIceGatheringState, localSdp: string | undefined) {
    const refused = /^m=video 0 /m.test(localSdp ?? '');
    super(
      'E_GATHER_TIMEOUT',
      `${CONNECTION_MESSAGES.E_GATHER_TIMEOUT} (ICE gathering is “${state}”` +
        (refused ? '; this browser refused the Pi’s video, most likely a codec it cannot play)' : ')'),
    );
  }
}

/** Non-trickle: the local description once it holds every candidate, within GATHER_MS. */
async function gathered(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pc.removeEventListener('icegatheringstatechange', check);
        reject(new GatherTimeoutError(pc.iceGatheringState, pc.localDescription?.sdp));
      }, GATHER_MS);
      const check = (): void => {
        if (pc.iceGatheringState !== 'complete') return;
        clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      };
      pc.addEventListener('icegatheringstatechange', check);
    });
  }
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error('no local description after ICE gathering');
  return sdp;
}
