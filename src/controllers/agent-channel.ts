import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Emitter } from '../events/emitter.ts';
import type { RefusalDetail, SettingsDetail, TelemetryDetail } from '../events/index.ts';
import { ConnectionError } from '../events/viewer-error.ts';
import {
  ProtocolError,
  decodeBlob,
  encodeMessage,
  isSignalError,
  parseAgentMessage,
  type AgentMessage,
  type DecodedBlob,
  type EncodedBlob,
  type StreamLimits,
  type StreamSettings,
  type UnknownMessage,
  type ViewerMessage,
} from '../signal/index.ts';
import type { TransportChannel } from '../transport/transport.ts';
import type { AgentSignaling } from './connection-controller.ts';

export type HelloMessage = Extract<AgentMessage, { type: 'hello' }>;
export type DetectionsMessage = Extract<AgentMessage, { type: 'detections' }>;

/** What the agent has said on this connection; replaced whole on every change. */
export interface AgentView {
  /** The agent's hello: its name, this viewer's number, what it streams and what may be asked for. */
  readonly hello: HelloMessage | undefined;
  /** What the encoder makes now: from the hello, then from each `settings` message. */
  readonly settings: StreamSettings | undefined;
  readonly limits: StreamLimits | undefined;
  readonly telemetry: TelemetryDetail | undefined;
  /** The latest message refused on this connection, by either side. */
  readonly refusal: RefusalDetail | undefined;
}

export interface AgentEvents {
  telemetry: TelemetryDetail;
  settings: SettingsDetail;
  detections: DetectionsMessage;
  /** The agent is going away, for this reason. */
  bye: string;
  /** The agent's own offer on this connection (an ICE restart, a renegotiation), to answer. */
  offer: DecodedBlob;
  /** A message refused, by the agent (one of ours) or by this viewer (one of the agent's). */
  refusal: RefusalDetail;
  /** The channel closed under us (not one we let go of). */
  closed: TransportChannel;
}

/** How long a reconnect waits for the agent's answer on the data channel. */
const RESTART_ANSWER_MS = 10_000;

const SILENT: AgentView = { hello: undefined, settings: undefined, limits: undefined, telemetry: undefined, refusal: undefined };

/** Why a reconnect's offer got no answer it can use. */
const noAnswer = (detail: string): ConnectionError => new ConnectionError('E_RESTART', { detail });

/**
 * Speaks the data-channel protocol with the agent (src/signal/protocol.ts): reads its hello,
 * settings, telemetry, detections, signal blobs and bye; sends keyframe and quality requests,
 * signal blobs for a reconnect, and `bye` when the page goes. Never throws on what the agent
 * sends: a bad message is answered with an `error` message and otherwise ignored.
 */
export class AgentChannelController extends Emitter<AgentEvents> implements ReactiveController, AgentSignaling {
  private state: AgentView = SILENT;
  private channel: TransportChannel | undefined;
  /** The agent's answer to our reconnect offer, awaited by ask(). */
  private pending: { resolve: (blob: DecodedBlob) => void; reject: (error: Error) => void } | undefined;

  constructor(private readonly host: ReactiveControllerHost) {
    super();
    host.addController(this);
  }

  get view(): AgentView {
    return this.state;
  }

  get open(): boolean {
    return this.channel?.readyState === 'open';
  }

  /** The channel itself, for programs that speak to the agent directly. */
  get current(): TransportChannel | undefined {
    return this.channel;
  }

  hostConnected(): void {
    globalThis.addEventListener?.('pagehide', this.onPageHide);
  }

  hostDisconnected(): void {
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
  }

  /** Listens to `channel` from now on, and to no other; undefined stops listening, keeping what was said. */
  attach(channel: TransportChannel | undefined): void {
    if (channel === this.channel) return;
    this.channel?.removeEventListener('message', this.onMessage);
    this.channel?.removeEventListener('close', this.onClose);
    this.channel = channel;
    channel?.addEventListener('message', this.onMessage);
    channel?.addEventListener('close', this.onClose);
    this.host.requestUpdate();
  }

  /** The connection ends: the agent is told, and what it said is forgotten. */
  reset(): void {
    this.send({ v: 1, type: 'bye', reason: 'the viewer closed the connection' });
    this.attach(undefined);
    this.pending = undefined;
    this.state = SILENT;
    this.host.requestUpdate();
  }

  /** Sends a message to the agent; false when the channel is not open (or it is too large). */
  send(message: ViewerMessage): boolean {
    if (!this.channel || this.channel.readyState !== 'open') return false;
    try {
      this.channel.send(encodeMessage(message));
      return true;
    } catch (error) {
      console.warn('pigeon: could not send to the agent:', error);
      return false;
    }
  }

  /** Sends our offer as a `signal` message and waits for the agent's answer (or its refusal). */
  ask(offer: EncodedBlob, signal: AbortSignal): Promise<DecodedBlob> {
    return new Promise<DecodedBlob>((resolve, reject) => {
      const timer = setTimeout(() => finish(noAnswer(`no answer from the Pi within ${RESTART_ANSWER_MS / 1000} s`)), RESTART_ANSWER_MS);
      const aborted = (): void => finish(signal.reason instanceof Error ? signal.reason : noAnswer('the reconnect was called off'));
      const finish = (error: Error | undefined, answer?: DecodedBlob): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        if (this.pending === pending) this.pending = undefined;
        if (answer) resolve(answer);
        else reject(error);
      };
      const pending = { resolve: (answer: DecodedBlob) => finish(undefined, answer), reject: (error: Error) => finish(error) };
      this.pending = pending;
      signal.addEventListener('abort', aborted);
      if (signal.aborted) aborted();
      else if (!this.send({ v: 1, type: 'signal', blob: offer.text })) pending.reject(noAnswer('the data channel closed'));
    });
  }

  answer(answer: EncodedBlob): void {
    this.send({ v: 1, type: 'signal', blob: answer.text });
  }

  refuse(error: unknown): void {
    const message = isSignalError(error) ? `${error.code}: ${error.message}` : String(error);
    const code = isSignalError(error) ? error.code : 'E_SIGNAL';
    this.refused({ by: 'viewer', code, message });
    this.send({ v: 1, type: 'error', code, message });
  }

  /**
   * The tab closing, a reload, navigating away: the agent is told before the page goes, so it
   * frees this viewer's slot at once rather than when ICE consent runs out (~30 s). The closing
   * connection's own SCTP ABORT says the same, if the browser gets it out.
   */
  private readonly onPageHide = (): void => {
    this.send({ v: 1, type: 'bye', reason: 'the page was closed' });
  };

  private readonly onClose = (): void => {
    const channel = this.channel;
    if (!channel) return;
    // A reconnect waiting for its answer on this channel will not get one.
    this.pending?.reject(noAnswer('the data channel closed'));
    this.emit('closed', channel);
  };

  private readonly onMessage = (event: MessageEvent<unknown>): void => {
    const message = this.parse(event.data);
    if (message) this.receive(message);
  };

  /** The message, or undefined when it was refused (and the agent told why). */
  private parse(data: unknown): AgentMessage | UnknownMessage | undefined {
    try {
      if (typeof data !== 'string') throw new ProtocolError('E_MSG_NOT_JSON', 'binary message; the protocol is JSON text');
      return parseAgentMessage(data);
    } catch (error) {
      const refusal = error instanceof ProtocolError ? error : new ProtocolError('E_MSG_MALFORMED', String(error));
      this.refused({ by: 'viewer', code: refusal.code, message: refusal.message });
      this.send({ v: 1, type: 'error', code: refusal.code, message: refusal.message });
      return undefined;
    }
  }

  private receive(message: AgentMessage | UnknownMessage): void {
    switch (message.type) {
      case 'hello':
        return this.update({ hello: message, settings: message.settings, limits: message.limits });
      case 'telemetry': {
        const { fps, kbps, viewers, cpu, tempC } = message;
        const telemetry = tempC === undefined ? { fps, kbps, viewers, cpu } : { fps, kbps, viewers, cpu, tempC };
        this.update({ telemetry });
        return this.emit('telemetry', telemetry);
      }
      case 'detections':
        return this.emit('detections', message);
      case 'settings': {
        const mine = message.by !== undefined && message.by === this.state.hello?.viewer;
        this.update({ settings: message.settings });
        return this.emit('settings', message.by === undefined ? { settings: message.settings, mine } : { settings: message.settings, by: message.by, mine });
      }
      case 'signal':
        return this.onSignal(message.blob);
      case 'bye':
        return this.emit('bye', message.reason);
      case 'error':
        this.refused({ by: 'agent', code: message.code, message: message.message });
        // While our reconnect offer is out, a refusal is its answer: say why now, not after a timeout.
        this.pending?.reject(noAnswer(`the Pi said: ${message.message}`));
        return;
      case 'unknown':
        // A newer agent's message: not an error.
        return;
    }
  }

  /** A blob from the agent: the answer to our reconnect offer, or its own offer on this connection. */
  private onSignal(text: string): void {
    let blob: DecodedBlob;
    try {
      blob = decodeBlob(text);
    } catch (error) {
      return this.refuse(error);
    }
    if (blob.type === 'offer') return this.emit('offer', blob);
    if (this.pending) this.pending.resolve(blob);
    else this.refused({ by: 'viewer', code: 'E_SIGNAL', message: 'the agent sent an answer this viewer did not ask for' });
  }

  /** Said as state and as an event, and to the console for whoever debugs the page. */
  private refused(refusal: RefusalDetail): void {
    console.warn(refusal.by === 'agent' ? `pigeon: the agent refused a message (${refusal.code}): ${refusal.message}` : `pigeon: refused a message from the agent (${refusal.code}): ${refusal.message}`);
    this.update({ refusal });
    this.emit('refusal', refusal);
  }

  private update(change: Partial<AgentView>): void {
    this.state = { ...this.state, ...change };
    this.host.requestUpdate();
  }
}
