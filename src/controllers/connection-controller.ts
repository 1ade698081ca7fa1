import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Emitter } from '../events/emitter.ts';
import { CONNECTION_MESSAGES, ConnectionError, agentStopped, viewerErrorOf } from '../events/viewer-error.ts';
import { SignalError, decodeBlob, encodeBlob, isAgentCodec, type BlobType, type DecodedBlob } from '../signal/index.ts';
import { offeredVideoCodecs, unplayableAgent, unplayableOffer } from '../transport/codecs.ts';
import type { Transport, TransportKind, TransportState } from '../transport/transport.ts';
import { IDLE, type AgentSignaling, type BlobInput, type ConnectionEvents, type ConnectionView, type PeerStatus } from './connection-view.ts';

export type { AgentSignaling, BlobInput, ConnectionView, PeerStatus } from './connection-view.ts';

/** How long a reconnect waits, after the answer, for the new connection and its channel. */
const RESTART_CONNECT_MS = 15_000;

/**
 * How long a connection that played may stay lost (nothing arriving, ICE disconnected or failed)
 * before the page gives up and asks for a fresh code. The Pi repairs a path whose address changed
 * within a second or two of the change, and its own side gives a silent viewer up after 30 s
 * without an answer to its consent checks (RFC 7675), so waiting longer would find nobody.
 */
export const RECOVERY_MS = 30_000;

/**
 * Owns the connection to the Pi and its hand-over: answering the Pi's offer or offering, taking
 * the answer, the wait while a person carries a code, reconnecting through a new connection, and
 * closing. Non-trickle (a blob is made only once ICE gathering is complete: there is no channel
 * for later candidates); the answer carries the offer's id.
 */
export class ConnectionController extends Emitter<ConnectionEvents> implements ReactiveController {
  private state: ConnectionView = IDLE;
  private transport: Transport | undefined;
  /** The current transport's subscriptions, dropped when what it would say is said already. */
  private wires: (() => void)[] = [];
  /** The new connection a reconnect is bringing up once its answer is applied: the old one may close meanwhile. */
  private handover: Transport | undefined;
  /** Ends a reconnect's wait for the agent's answer when its connection is gone. */
  private restart: AbortController | undefined;
  /** Our own offer's id while we are the offering side. */
  private offerId: number | undefined;
  /** Each attempt gets a number, so a late result of a replaced one is dropped. */
  private generation = 0;
  /** The Pi answered our ICE checks before DTLS started: it holds its side of this attempt open. */
  private piReached = false;
  /** Redraws the time shown once a second while `waitingSince` or `lostSince` is set. */
  private clock: ReturnType<typeof setInterval> | undefined;
  /** Ends the wait for a lost path to come back (RECOVERY_MS after `lostSince`). */
  private recovery: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly kind: TransportKind,
  ) {
    super();
    host.addController(this);
  }

  get view(): ConnectionView {
    return this.state;
  }

  hostConnected(): void {
    // Nothing to set up until an offer arrives.
  }

  hostDisconnected(): void {
    this.close();
  }

  /** Answers the Pi's offer. Failures become `error` state and an `error` event, never a rejection. */
  async answer(input: BlobInput): Promise<void> {
    const generation = this.begin('answering', 'answerer');
    try {
      const offer = asBlob(input, 'offer');
      const unplayable = unplayableOffer(offeredVideoCodecs(offer.sdp), this.kind.playableCodecs());
      if (unplayable) return this.fail(unplayable);
      const answer = await this.adopt(this.kind.create()).answer(offer);
      if (generation !== this.generation) return;
      this.startWaiting();
      if (this.state.status === 'answering') this.update({ status: 'waiting' });
      this.emit('answer', answer);
    } catch (error) {
      if (generation === this.generation) this.fail(error);
    }
  }

  /**
   * The other way round, for `pi-agent answer`: this page offers (receive video, the 'pigeon'
   * data channel), reduced to the codecs the agent sends so the blob stays compact.
   */
  async offer(): Promise<void> {
    const generation = this.begin('offering', 'offerer');
    try {
      const unplayable = unplayableAgent(this.kind.playableCodecs());
      if (unplayable) return this.fail(unplayable);
      const sdp = await this.adopt(this.kind.create()).offer();
      if (generation !== this.generation) return;
      const offerId = newOfferId();
      const blob = encodeBlob({ type: 'offer', sdp }, { offerId, keepCodec: isAgentCodec });
      this.offerId = offerId;
      // Read back from the blob itself: what survived keepCodec is what the Pi will see.
      this.update({ offeredCodecs: offeredVideoCodecs(decodeBlob(blob.bytes).sdp) });
      this.startWaiting();
      this.update({ status: 'waiting' });
      this.emit('offer', blob);
    } catch (error) {
      if (generation === this.generation) this.fail(error);
    }
  }

  /** Takes the Pi's answer to our offer. A wrong one leaves the offer standing for the right one. */
  async acceptAnswer(input: BlobInput): Promise<void> {
    const transport = this.transport;
    try {
      const answer = asBlob(input, 'answer');
      if (!transport || this.offerId === undefined) return this.fail(new ConnectionError('E_NO_OFFER'), false);
      if (answer.offerId !== undefined && answer.offerId !== this.offerId) return this.fail(new ConnectionError('E_OTHER_OFFER'), false);
      this.update({ error: undefined });
      await transport.acceptAnswer(answer.sdp);
    } catch (error) {
      if (transport === this.transport) this.fail(error, false);
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
  async reconnect(agent: AgentSignaling): Promise<void> {
    const old = this.transport;
    if (!old || !agent.open) {
      return this.fail(new ConnectionError('E_RESTART', { message: `${CONNECTION_MESSAGES.E_RESTART} There is no open data channel to the Pi.` }), false);
    }
    if (this.state.restarting) return;
    const restart = (this.restart = new AbortController());
    this.update({ restarting: true, error: undefined });
    const next = this.kind.create();
    try {
      const offerId = newOfferId();
      const offer = encodeBlob({ type: 'offer', sdp: await next.offer() }, { offerId, keepCodec: isAgentCodec });
      const answer = await agent.ask(offer, restart.signal);
      if (answer.offerId !== undefined && answer.offerId !== offerId) throw new Error('the Pi answered another offer');
      if (old !== this.transport) return next.close();
      // From here the agent closes the old connection as soon as the new one is up on its side.
      this.handover = next;
      await next.acceptAnswer(answer.sdp);
      await next.ready(RESTART_CONNECT_MS);
      if (old !== this.transport || this.handover !== next) return next.close();
      this.takeOver(old, next);
    } catch (error) {
      next.close();
      this.handover = undefined;
      // Overtaken (started over, or the old connection's own failure was already said).
      if (old !== this.transport || this.state.status === 'failed') return;
      // A lost connection still waiting for its path to come back (lostSince) is not over either.
      if (agent.open && (old.state === 'connected' || this.state.lostSince !== undefined)) {
        this.fail(new ConnectionError('E_RESTART', { detail: error instanceof Error ? error.message : String(error), cause: error }), false);
      } else {
        // The old connection went down during the hand-over: nothing is left to play.
        this.unwire();
        this.fail(new ConnectionError('E_DISCONNECTED'));
      }
    } finally {
      if (this.transport === old || this.transport === next) {
        this.restart = undefined;
        this.update({ restarting: false });
      }
    }
  }

  /** The agent's own offer on this connection (ICE restart, renegotiation): answered over its channel. */
  async renegotiate(offer: DecodedBlob, agent: AgentSignaling): Promise<void> {
    const transport = this.transport;
    if (!transport) return;
    try {
      const sdp = await transport.renegotiate(offer.sdp);
      if (transport === this.transport) agent.answer(encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }));
    } catch (error) {
      agent.refuse(error);
    }
  }

  /**
   * The agent's channel closed. Without it there is no way to re-signal: only a fresh code from
   * the Pi helps. The connection's own later states (disconnected, failed) would only say it again.
   */
  channelClosed(): void {
    // During a reconnect's hand-over the agent closes the old connection on purpose.
    if (!this.transport || this.handover) return;
    this.unwire();
    this.fail(new ConnectionError('E_CHANNEL_CLOSED'));
  }

  /** The agent says it is going away: say so now, rather than when ICE gives up some 15 s later. */
  agentStopped(reason: string): void {
    const transport = this.transport;
    if (!transport) return;
    this.unwire();
    // A reconnect under way ends quietly: with the transport gone it knows it was overtaken.
    this.transport = undefined;
    this.restart?.abort(new Error('the Pi agent has gone away'));
    this.restart = undefined;
    this.update({ restarting: false });
    this.handover?.close();
    this.handover = undefined;
    transport.close();
    this.fail(agentStopped(reason));
  }

  close(): void {
    this.emit('closing', null);
    this.generation++;
    this.unwire();
    this.restart?.abort(new Error('the connection was closed'));
    this.restart = undefined;
    this.handover?.close();
    this.handover = undefined;
    this.stopWaiting();
    this.found();
    this.piReached = false;
    this.offerId = undefined;
    const closing = this.transport;
    this.transport = undefined;
    closing?.close();
    this.update({ video: undefined, connectedOnce: false, restarting: false, offeredCodecs: undefined, ...(closing ? { status: 'closed' as const } : {}) });
  }

  /** Closes what was there and starts a new attempt; returns its generation. */
  private begin(status: PeerStatus, role: ConnectionView['role']): number {
    this.close();
    const generation = ++this.generation;
    this.update({ status, role, error: undefined });
    return generation;
  }

  private adopt(transport: Transport): Transport {
    this.transport = transport;
    this.wires = [
      transport.on('state', (state) => this.onState(state)),
      transport.on('reached', () => (this.piReached ||= !this.state.connectedOnce)),
      transport.on('video', (video) => this.update({ video })),
      transport.on('quiet', (quiet) => this.onQuiet(quiet)),
      transport.on('channel', (channel) => this.emit('channel', channel)),
      transport.on('error', (error) => this.ended(transport, error)),
    ];
    return transport;
  }

  /** The transport ended for its own reason (a bridge gone): nothing is left to play or re-signal on. */
  private ended(transport: Transport, error: Error): void {
    if (transport !== this.transport || this.handover) return;
    this.unwire();
    this.fail(error);
  }

  /** Stops listening to the current transport and its channel, and its video from being sampled. */
  private unwire(): void {
    for (const unsubscribe of this.wires) unsubscribe();
    this.wires = [];
    this.emit('channel', undefined);
    this.emit('live', undefined);
  }

  /** The new connection is up: it carries everything from now on; the old one is closed. */
  private takeOver(old: Transport, next: Transport): void {
    this.unwire();
    old.close();
    this.handover = undefined;
    this.adopt(next);
    if (next.channel) this.emit('channel', next.channel);
    this.update({ video: next.video });
    this.emit('live', next);
  }

  private onState(state: TransportState): void {
    // The old connection ending while a reconnect hands over is expected; reconnect() decides.
    if (this.handover && state !== 'connected') return;
    switch (state) {
      case 'connecting':
      case 'closed':
        this.update({ status: state });
        break;
      case 'disconnected':
        if (this.state.connectedOnce) this.lose();
        else this.update({ status: state });
        break;
      case 'connected':
        this.stopWaiting();
        this.found();
        this.update({ status: 'connected', connectedOnce: true });
        this.emit('live', this.transport);
        this.emit('connected', null);
        break;
      case 'failed': {
        // It played: its path may still come back (a changed network), until RECOVERY_MS is up.
        if (this.state.connectedOnce && this.transport?.failureMayPass) return this.lose();
        this.restart?.abort(new Error('the connection failed'));
        this.found();
        this.emit('live', undefined);
        // The Pi answered our checks while it held its code, then stopped: it dropped the code.
        const code = this.state.connectedOnce ? 'E_DISCONNECTED' : this.piReached && this.state.role === 'answerer' ? 'E_CODE_EXPIRED' : 'E_ICE_FAILED';
        this.fail(new ConnectionError(code));
        break;
      }
      case 'new':
        break;
    }
  }

  /** Nothing arrives from the Pi (`true`), or it does again: only the playing connection's say counts. */
  private onQuiet(quiet: boolean): void {
    if (this.handover || !this.state.connectedOnce) return;
    if (quiet && this.state.status === 'connected') this.lose();
    else if (!quiet && this.transport?.state === 'connected') {
      this.found();
      this.update({ status: 'connected' });
    }
  }

  /**
   * The playing connection stopped carrying: shown as reconnecting, with the time since, while
   * the path may come back by itself (the Pi checks it again from its new address; ICE and DTLS
   * carry on where they were). Past RECOVERY_MS only a fresh code helps.
   */
  private lose(): void {
    if (this.state.lostSince === undefined) {
      this.recovery = setTimeout(() => this.gaveUp(), RECOVERY_MS);
      this.update({ lostSince: Date.now() });
    }
    if (this.state.status !== 'disconnected') this.update({ status: 'disconnected' });
  }

  private found(): void {
    clearTimeout(this.recovery);
    this.recovery = undefined;
    if (this.state.lostSince !== undefined) this.update({ lostSince: undefined });
  }

  private gaveUp(): void {
    this.recovery = undefined;
    const transport = this.transport;
    if (!transport) return;
    this.unwire();
    this.transport = undefined;
    this.restart?.abort(new Error('the connection was lost'));
    this.restart = undefined;
    transport.close();
    this.update({ lostSince: undefined, restarting: false });
    this.fail(new ConnectionError('E_DISCONNECTED', { detail: `nothing came from the Pi for ${RECOVERY_MS / 1000} s` }));
  }

  /** `final: false` for a bad answer pasted while our offer still stands: the next paste may be right. */
  private fail(error: unknown, final = true): void {
    const detail = viewerErrorOf(error);
    if (final) this.stopWaiting();
    this.update(final ? { error: detail, status: 'failed' } : { error: detail });
    this.emit('error', detail);
  }

  private startWaiting(): void {
    this.update({ waitingSince: Date.now() });
  }

  private stopWaiting(): void {
    if (this.state.waitingSince !== undefined) this.update({ waitingSince: undefined });
  }

  private update(change: Partial<ConnectionView>): void {
    this.state = { ...this.state, ...change };
    // A time is shown while either wait lasts: redraw it every second.
    const counting = this.state.waitingSince !== undefined || this.state.lostSince !== undefined;
    if (counting && this.clock === undefined) this.clock = setInterval(() => this.host.requestUpdate(), 1000);
    if (!counting && this.clock !== undefined) {
      clearInterval(this.clock);
      this.clock = undefined;
    }
    this.host.requestUpdate();
  }
}

/** A fresh id for each offer, so the Pi's answer is matched to this very offer. */
function newOfferId(): number {
  return crypto.getRandomValues(new Uint16Array(1))[0]!;
}

function asBlob(input: BlobInput, expect: BlobType): DecodedBlob {
  if (typeof input === 'string') return decodeBlob(input, { expect });
  if (input.type !== expect) throw new SignalError(expect === 'offer' ? 'E_EXPECTED_OFFER' : 'E_EXPECTED_ANSWER');
  return input;
}
