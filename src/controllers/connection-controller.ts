import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Emitter } from '../events/emitter.ts';
import { ConnectionError } from '../events/viewer-error.ts';
import { SignalError, decodeBlob, encodeBlob, isAgentCodec, type BlobType, type DecodedBlob } from '../signal/index.ts';
import { offeredVideoCodecs, unplayableAgent, unplayableOffer } from '../transport/codecs.ts';
import type { Transport, TransportKind } from '../transport/transport.ts';
import { RECOVERY_MS, START, idOf, restartOf, transition, viewOf, type ConnectionEffect, type ConnectionEvent, type ConnectionState } from './connection-state.ts';
import type { AgentSignaling, ConnectionEvents, ConnectionView, GivenBlob } from './connection-view.ts';

export type { AgentSignaling, ConnectionView, GivenBlob, PeerStatus } from './connection-view.ts';
export { RECOVERY_MS } from './connection-state.ts';

/** How long a reconnect waits, after the answer, for the new connection and its channel. */
const RESTART_CONNECT_MS = 15_000;

/** A connection the controller made: listened to (once it carries), and a reconnect's work on it called off with `abort`. */
interface Held {
  readonly transport: Transport;
  wires: (() => void)[];
  readonly abort: AbortController;
}

/**
 * Owns the connection to the Pi and its hand-over: answering the Pi's offer or offering, taking
 * the answer, the wait while a person carries a code, reconnecting through a new connection, and
 * closing. Non-trickle (a blob is made only once ICE gathering is complete: there is no channel
 * for later candidates); the answer carries the offer's id. What the connection is, and what to
 * do on each thing that happens, is decided in `connection-state.ts`; this runs what it says.
 */
export class ConnectionController extends Emitter<ConnectionEvents> implements ReactiveController {
  private state: ConnectionState = START;
  private current: ConnectionView = viewOf(START);
  /** The connections made, by number, until released. */
  private readonly held = new Map<number, Held>();
  private serial = 0;
  /** Ends the wait for a lost path to come back. */
  private recovery: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly kind: TransportKind,
  ) {
    super();
    host.addController(this);
  }

  get view(): ConnectionView {
    return this.current;
  }

  hostConnected(): void {
    // Nothing to set up until an offer arrives.
  }

  hostDisconnected(): void {
    this.close();
  }

  /** Answers the Pi's offer. Failures become `error` state and an `error` event, never a rejection. */
  async answer(input: GivenBlob): Promise<void> {
    const id = ++this.serial;
    this.dispatch({ type: 'answer', id });
    try {
      const offer = asBlob(input, 'offer');
      const unplayable = unplayableOffer(offeredVideoCodecs(offer.sdp), this.kind.playableCodecs());
      if (unplayable) throw unplayable;
      const blob = await this.make(id).answer(offer);
      this.dispatch({ type: 'answered', id, blob, now: Date.now() });
    } catch (error) {
      this.dispatch({ type: 'failed', id, error });
    }
  }

  /**
   * The other way round, for `pi-agent answer`: this page offers (receive video, the 'pigeon'
   * data channel), reduced to the codecs the agent sends so the blob stays compact.
   */
  async offer(): Promise<void> {
    const id = ++this.serial;
    this.dispatch({ type: 'offer', id });
    try {
      const unplayable = unplayableAgent(this.kind.playableCodecs());
      if (unplayable) throw unplayable;
      const sdp = await this.make(id).offer();
      const offerId = newOfferId();
      const blob = encodeBlob({ type: 'offer', sdp }, { offerId, keepCodec: isAgentCodec });
      // Read back from the blob itself: what survived keepCodec is what the Pi will see.
      const codecs = offeredVideoCodecs(decodeBlob(blob.bytes).sdp);
      this.dispatch({ type: 'offered', id, blob, offer: { id: offerId, codecs }, now: Date.now() });
    } catch (error) {
      this.dispatch({ type: 'failed', id, error });
    }
  }

  /** Takes the Pi's answer to our offer. A wrong one leaves the offer standing for the right one. */
  acceptAnswer(input: GivenBlob): Promise<void> {
    let answer: DecodedBlob;
    try {
      answer = asBlob(input, 'answer');
    } catch (error) {
      this.dispatch({ type: 'notice', id: undefined, error });
      return Promise.resolve();
    }
    return this.dispatch({ type: 'accept-answer', answer });
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
    const id = ++this.serial;
    this.dispatch({ type: 'reconnect', id, agentOpen: agent.open });
    if (restartOf(this.state)?.id !== id) return;
    const next = this.kind.create();
    const held: Held = { transport: next, wires: [], abort: new AbortController() };
    this.held.set(id, held);
    try {
      const offerId = newOfferId();
      const offer = encodeBlob({ type: 'offer', sdp: await next.offer() }, { offerId, keepCodec: isAgentCodec });
      const answer = await agent.ask(offer, held.abort.signal);
      if (answer.offerId !== undefined && answer.offerId !== offerId) throw new ConnectionError('E_RESTART', { detail: 'the Pi answered another offer' });
      // From here the agent closes the old connection as soon as the new one is up on its side.
      this.dispatch({ type: 'handover', id });
      if (!this.held.has(id)) return;
      await next.acceptAnswer(answer.sdp);
      await next.ready(RESTART_CONNECT_MS);
      this.dispatch({ type: 'handed-over', id, video: next.video });
    } catch (error) {
      const old = this.held.get(idOf(this.state) ?? -1)?.transport;
      this.dispatch({ type: 'restart-failed', id, error, agentOpen: agent.open, oldConnected: old?.state === 'connected' });
    }
  }

  /** The agent's own offer on this connection (ICE restart, renegotiation): answered over its channel. */
  async renegotiate(offer: DecodedBlob, agent: AgentSignaling): Promise<void> {
    const id = idOf(this.state);
    const transport = id === undefined ? undefined : this.held.get(id)?.transport;
    if (!transport) return;
    try {
      const sdp = await transport.renegotiate(offer.sdp);
      if (idOf(this.state) === id) agent.answer(encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }));
    } catch (error) {
      agent.refuse(error);
    }
  }

  /**
   * The agent's channel closed. Without it there is no way to re-signal: only a fresh code from
   * the Pi helps. The connection's own later states (disconnected, failed) would only say it again.
   */
  channelClosed(): void {
    this.dispatch({ type: 'channel-closed' });
  }

  /** The agent says it is going away: say so now, rather than when ICE gives up some 15 s later. */
  agentStopped(reason: string): void {
    this.dispatch({ type: 'agent-stopped', reason });
  }

  close(): void {
    this.dispatch({ type: 'close' });
  }

  /** A new connection, numbered `id`, listened to from now on (released with that number). */
  private make(id: number): Transport {
    const transport = this.kind.create();
    const held: Held = { transport, wires: [], abort: new AbortController() };
    this.held.set(id, held);
    this.listen(id, held);
    return transport;
  }

  private listen(id: number, held: Held): void {
    const { transport } = held;
    held.wires = [
      transport.on('state', (state) => this.dispatch({ type: 'state', id, state, failureMayPass: transport.failureMayPass === true, now: Date.now() })),
      transport.on('reached', () => this.dispatch({ type: 'reached', id })),
      transport.on('video', (video) => this.dispatch({ type: 'video', id, video })),
      transport.on('quiet', (quiet) => this.dispatch({ type: 'quiet', id, quiet, connected: transport.state === 'connected', now: Date.now() })),
      transport.on('channel', () => this.dispatch({ type: 'channel', id })),
      transport.on('error', (error) => this.dispatch({ type: 'ended', id, error })),
      transport.on('refusal', (refusal) => this.dispatch({ type: 'refusal', id, refusal })),
    ];
  }

  /** Moves the state on, runs what it says; resolves when the work it started (an answer applied) is done. */
  private dispatch(event: ConnectionEvent): Promise<void> {
    const { state, effects } = transition(this.state, event);
    const changed = state !== this.state;
    this.state = state;
    if (changed) this.current = viewOf(state);
    const work = effects.map((effect) => this.run(effect));
    if (changed) this.host.requestUpdate();
    return Promise.all(work).then(() => undefined);
  }

  private run(effect: ConnectionEffect): Promise<void> | void {
    switch (effect.type) {
      case 'closing':
        return this.emit('closing', null);
      case 'release':
        for (const id of effect.ids) this.release(id);
        return;
      case 'unplug':
        this.emit('channel', undefined);
        return this.emit('live', undefined);
      case 'adopt': {
        const held = this.held.get(effect.id);
        if (held) this.listen(effect.id, held);
        return;
      }
      case 'channel': {
        const channel = this.held.get(effect.id)?.transport.channel;
        return channel ? this.emit('channel', channel) : undefined;
      }
      case 'live':
        return this.emit('live', this.held.get(effect.id)?.transport);
      case 'apply-answer':
        return this.apply(effect.id, effect.sdp);
      case 'arm-recovery':
        clearTimeout(this.recovery);
        this.recovery = setTimeout(() => this.dispatch({ type: 'recovery-over', id: effect.id }), RECOVERY_MS);
        return;
      case 'disarm-recovery':
        clearTimeout(this.recovery);
        this.recovery = undefined;
        return;
      case 'emit-answer':
        return this.emit('answer', effect.blob);
      case 'emit-offer':
        return this.emit('offer', effect.blob);
      case 'emit-connected':
        return this.emit('connected', null);
      case 'emit-error':
        return this.emit('error', effect.error);
      case 'emit-refusal':
        return this.emit('refusal', effect.refusal);
    }
  }

  private async apply(id: number, sdp: string): Promise<void> {
    try {
      await this.held.get(id)?.transport.acceptAnswer(sdp);
    } catch (error) {
      this.dispatch({ type: 'notice', id, error });
    }
  }

  /** The one teardown: not listened to any more, its work called off, closed. */
  private release(id: number): void {
    const held = this.held.get(id);
    if (!held) return;
    this.held.delete(id);
    for (const unsubscribe of held.wires) unsubscribe();
    held.abort.abort(new ConnectionError('E_RESTART', { detail: 'the connection it was to replace is gone' }));
    held.transport.close();
  }
}

/** A fresh id for each offer, so the Pi's answer is matched to this very offer. */
function newOfferId(): number {
  return crypto.getRandomValues(new Uint16Array(1))[0]!;
}

function asBlob(input: GivenBlob, expect: BlobType): DecodedBlob {
  if (typeof input === 'string') return decodeBlob(input, { expect });
  if (input.type !== expect) throw new SignalError(expect === 'offer' ? 'E_EXPECTED_OFFER' : 'E_EXPECTED_ANSWER');
  return input;
}
