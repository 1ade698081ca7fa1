/**
 * The page's connection to the Pi as a state and a pure transition: `transition(state, event)`
 * says what the connection is now and what must be done about it (effects), and does nothing
 * itself. `ConnectionController` feeds it what happened (a command, a transport's report, the
 * result of its own work, a timer) and runs the effects. Every connection is named by a number
 * (`id`) the controller gives it, so whatever a replaced connection still says is recognised as
 * late and dropped here, in one place.
 */
import { CONNECTION_MESSAGES, ConnectionError, agentStopped, viewerErrorOf, type ViewerErrorDetail } from '../events/viewer-error.ts';
import type { RefusalDetail } from '../events/index.ts';
import { isPigeonError, type DecodedBlob, type EncodedBlob } from '../signal/index.ts';
import type { TransportState, VideoFeed } from '../transport/transport.ts';
import type { ConnectionView, PeerStatus } from './connection-view.ts';

/**
 * How long a connection that played may stay lost (nothing arriving, ICE disconnected or failed)
 * before the page gives up and asks for a fresh code. The Pi repairs a path whose address changed
 * within a second or two of the change, and its own side gives a silent viewer up after 30 s
 * without an answer to its consent checks (RFC 7675), so waiting longer would find nobody.
 */
export const RECOVERY_MS = 30_000;

export type Role = 'answerer' | 'offerer';

/** This page's own offer (it is the offering side): its id, to match the Pi's answer to, and the video codecs it carries. */
export interface OwnOffer {
  readonly id: number;
  readonly codecs: readonly string[];
}

/**
 * A reconnect under way over the data channel, with its new connection `id`. From `handover` on
 * (the agent has answered and the answer is being applied) the agent closes the old connection as
 * soon as the new one is up on its side, so what the old one says then is expected.
 */
export interface Restart {
  readonly id: number;
  readonly handover: boolean;
}

/** What ICE said before the connection was first up: nothing yet, checks under way, or checks no longer answered. */
export type Checks = 'none' | 'connecting' | 'disconnected';

/** The last thing the page has to say went wrong; a refusal that leaves the connection standing (a wrong answer pasted) too. */
interface Said {
  readonly error: ViewerErrorDetail | undefined;
}

/** A connection exists: its number, the side this page plays on it, and its video once it came. */
interface OnConnection extends Said {
  readonly id: number;
  readonly role: Role;
  readonly video: VideoFeed | undefined;
}

export type ConnectionState =
  /** No offer yet. */
  | (Said & { readonly kind: 'idle' })
  /** Closed by the page (`close`) after a connection; the role it had, for the words. */
  | (Said & { readonly kind: 'closed'; readonly role: Role })
  /** Making our answer to the Pi's offer, or our own offer (ICE gathering). */
  | (OnConnection & { readonly kind: 'preparing'; readonly checks: Checks; readonly piReached: boolean })
  /** Our blob is out (since `since`): the Pi has not reached us with it yet, or (offering) has not answered. */
  | (OnConnection & { readonly kind: 'waiting'; readonly since: number; readonly offer: OwnOffer | undefined; readonly checks: Checks; readonly piReached: boolean })
  /** Up and carrying (`line` connecting: ICE checks again on a path that still carries). */
  | (OnConnection & { readonly kind: 'playing'; readonly offer: OwnOffer | undefined; readonly line: 'connected' | 'connecting'; readonly restart: Restart | undefined })
  /** It played and stopped carrying (since `since`): the path may come back by itself, for RECOVERY_MS. */
  | (OnConnection & { readonly kind: 'lost'; readonly offer: OwnOffer | undefined; readonly since: number; readonly restart: Restart | undefined })
  /** Over, for the reason in `error`; only a new offer (or our own) starts again. */
  | (Said & { readonly kind: 'failed'; readonly role: Role; readonly connectedOnce: boolean; readonly video: VideoFeed | undefined });

export const START: ConnectionState = { kind: 'idle', error: undefined };

export type ConnectionEvent =
  // What the page asks for. `id` numbers the connection about to be made.
  | { readonly type: 'answer'; readonly id: number }
  | { readonly type: 'offer'; readonly id: number }
  /** The Pi's answer to our offer, decoded. */
  | { readonly type: 'accept-answer'; readonly answer: DecodedBlob }
  | { readonly type: 'reconnect'; readonly id: number; readonly agentOpen: boolean }
  | { readonly type: 'close' }
  // The controller's own work, done or failed.
  | { readonly type: 'answered'; readonly id: number; readonly blob: EncodedBlob; readonly now: number }
  | { readonly type: 'offered'; readonly id: number; readonly blob: EncodedBlob; readonly offer: OwnOffer; readonly now: number }
  /** Making connection `id`'s answer or offer failed: the attempt is over. */
  | { readonly type: 'failed'; readonly id: number; readonly error: unknown }
  /** Something the page was given or tried was refused (`id`: on that connection), the connection stays as it was. */
  | { readonly type: 'notice'; readonly id: number | undefined; readonly error: unknown }
  /** The agent answered reconnect `id`'s offer; its answer is about to be applied. */
  | { readonly type: 'handover'; readonly id: number }
  /** Reconnect `id`'s connection is up with its channel open, with the video it has. */
  | { readonly type: 'handed-over'; readonly id: number; readonly video: VideoFeed | undefined }
  /** Reconnect `id` did not work: is the agent's channel still open, and the old connection still connected? */
  | { readonly type: 'restart-failed'; readonly id: number; readonly error: unknown; readonly agentOpen: boolean; readonly oldConnected: boolean }
  // What connection `id` reports.
  | { readonly type: 'state'; readonly id: number; readonly state: TransportState; readonly failureMayPass: boolean; readonly now: number }
  | { readonly type: 'reached'; readonly id: number }
  | { readonly type: 'video'; readonly id: number; readonly video: VideoFeed }
  | { readonly type: 'channel'; readonly id: number }
  /** Nothing arrives (`quiet`), or it does again; `connected`: the connection's state now. */
  | { readonly type: 'quiet'; readonly id: number; readonly quiet: boolean; readonly connected: boolean; readonly now: number }
  /** Something on the way (a bridge) refused a request of this page's on connection `id`. */
  | { readonly type: 'refusal'; readonly id: number; readonly refusal: RefusalDetail }
  /** The connection ended for a reason of its own (a bridge gone). */
  | { readonly type: 'ended'; readonly id: number; readonly error: unknown }
  // What the agent says over its channel.
  | { readonly type: 'channel-closed' }
  | { readonly type: 'agent-stopped'; readonly reason: string }
  /** RECOVERY_MS have passed since connection `id` was lost. */
  | { readonly type: 'recovery-over'; readonly id: number };

export type ConnectionEffect =
  /** Tell the agent we are going: the last moment it can be told. */
  | { readonly type: 'closing' }
  /** The one teardown: stop listening to these connections, call off their work, close them. */
  | { readonly type: 'release'; readonly ids: readonly number[] }
  /** No channel and no playing video any more (whoever listens lets go of them). */
  | { readonly type: 'unplug' }
  /** Listen to reconnect `id`'s connection from now on: it carries everything. */
  | { readonly type: 'adopt'; readonly id: number }
  /** Connection `id`'s channel is the agent's channel now. */
  | { readonly type: 'channel'; readonly id: number }
  /** Connection `id`'s video plays now: sample it. */
  | { readonly type: 'live'; readonly id: number }
  /** Apply the Pi's answer to connection `id`. */
  | { readonly type: 'apply-answer'; readonly id: number; readonly sdp: string }
  /** Start (or stop) the RECOVERY_MS wait for lost connection `id`. */
  | { readonly type: 'arm-recovery'; readonly id: number }
  | { readonly type: 'disarm-recovery' }
  | { readonly type: 'emit-answer'; readonly blob: EncodedBlob }
  | { readonly type: 'emit-offer'; readonly blob: EncodedBlob }
  | { readonly type: 'emit-connected' }
  | { readonly type: 'emit-error'; readonly error: ViewerErrorDetail }
  | { readonly type: 'emit-refusal'; readonly refusal: RefusalDetail };

export interface Transition {
  readonly state: ConnectionState;
  readonly effects: readonly ConnectionEffect[];
}

/** The events `transition` handles before it looks at which connection they are about. */
type Commanded = 'answer' | 'offer' | 'close' | 'accept-answer' | 'reconnect' | 'notice' | 'channel-closed' | 'agent-stopped' | 'handover' | 'handed-over' | 'restart-failed';
type Live = Extract<ConnectionState, { kind: 'playing' | 'lost' }>;
type Attempt = Extract<ConnectionState, { id: number }>;

export function transition(state: ConnectionState, event: ConnectionEvent): Transition {
  switch (event.type) {
    case 'answer':
    case 'offer': {
      const closed = close(state);
      const role: Role = event.type === 'answer' ? 'answerer' : 'offerer';
      return { state: { kind: 'preparing', id: event.id, role, video: undefined, error: undefined, checks: 'none', piReached: false }, effects: closed.effects };
    }
    case 'close':
      return close(state);
    case 'accept-answer':
      return acceptAnswer(state, event.answer);
    case 'reconnect':
      return reconnect(state, event.id, event.agentOpen);
    case 'notice':
      if (event.id !== undefined && idOf(state) !== event.id) return stay(state);
      return notice(state, event.error);
    case 'channel-closed':
      // During a reconnect's hand-over the agent closes the old connection on purpose.
      if (!isAttempt(state) || handingOver(state)) return stay(state);
      return fail(state, new ConnectionError('E_CHANNEL_CLOSED'));
    case 'agent-stopped':
      return isAttempt(state) ? fail(state, agentStopped(event.reason)) : stay(state);
    case 'handover':
    case 'handed-over':
    case 'restart-failed':
      return restarting(state, event);
    default:
      return onConnection(state, event);
  }
}

/** What connection `event.id` reports, and the results of the work on it: dropped unless it is the current one. */
function onConnection(state: ConnectionState, event: Exclude<ConnectionEvent, { type: Commanded }>): Transition {
  if (!isAttempt(state) || state.id !== event.id) return stay(state);
  switch (event.type) {
    case 'answered': {
      // Up before its answer was handed back (the Pi had it another way): the answer is still said.
      if (state.kind !== 'preparing') return { state, effects: [{ type: 'emit-answer', blob: event.blob }] };
      const waiting: ConnectionState = { ...withoutPrep(state), kind: 'waiting', since: event.now, offer: undefined, checks: state.checks, piReached: state.piReached };
      return { state: waiting, effects: [{ type: 'emit-answer', blob: event.blob }] };
    }
    case 'offered': {
      if (state.kind !== 'preparing') return stay(state);
      const waiting: ConnectionState = { ...withoutPrep(state), kind: 'waiting', since: event.now, offer: event.offer, checks: 'none', piReached: state.piReached };
      return { state: waiting, effects: [{ type: 'emit-offer', blob: event.blob }] };
    }
    case 'failed':
      return fail(state, event.error);
    case 'ended':
      return handingOver(state) ? stay(state) : fail(state, event.error);
    case 'video':
      return stay({ ...state, video: event.video });
    case 'channel':
      return { state, effects: [{ type: 'channel', id: state.id }] };
    case 'refusal':
      return { state, effects: [{ type: 'emit-refusal', refusal: event.refusal }] };
    case 'reached':
      return state.kind === 'preparing' || state.kind === 'waiting' ? stay({ ...state, piReached: true }) : stay(state);
    case 'state':
      return onState(state, event.state, event.failureMayPass, event.now);
    case 'quiet':
      return onQuiet(state, event.quiet, event.connected, event.now);
    case 'recovery-over':
      if (state.kind !== 'lost') return stay(state);
      return fail(state, new ConnectionError('E_DISCONNECTED', { detail: `nothing came from the Pi for ${RECOVERY_MS / 1000} s` }));
  }
}

function onState(state: Attempt, reported: TransportState, failureMayPass: boolean, now: number): Transition {
  // The old connection ending while a reconnect hands over is expected: the reconnect decides.
  if (handingOver(state) && reported !== 'connected') return stay(state);
  switch (reported) {
    case 'new':
      return stay(state);
    case 'connecting':
      if (state.kind === 'preparing' || state.kind === 'waiting') return stay({ ...state, checks: 'connecting' });
      // Lost, it stays lost (and counting) until it carries again.
      return state.kind === 'playing' ? stay({ ...state, line: 'connecting' }) : stay(state);
    case 'disconnected':
      if (state.kind === 'preparing' || state.kind === 'waiting') return stay({ ...state, checks: 'disconnected' });
      return lose(state, now);
    case 'connected': {
      const playing: ConnectionState = { ...liveBase(state), kind: 'playing', line: 'connected' };
      const effects: ConnectionEffect[] = state.kind === 'lost' ? [{ type: 'disarm-recovery' }] : [];
      return { state: playing, effects: [...effects, { type: 'live', id: state.id }, { type: 'emit-connected' }] };
    }
    case 'failed': {
      // It played: its path may still come back (a changed network), until RECOVERY_MS is up.
      if ((state.kind === 'playing' || state.kind === 'lost') && failureMayPass) return lose(state, now);
      // The Pi answered our checks while it held its code, then stopped: it dropped the code.
      const code = state.kind === 'playing' || state.kind === 'lost' ? 'E_DISCONNECTED' : state.piReached && state.role === 'answerer' ? 'E_CODE_EXPIRED' : 'E_ICE_FAILED';
      return fail(state, new ConnectionError(code));
    }
    case 'closed':
      return end(state, { kind: 'closed', role: state.role, error: state.error });
  }
}

/** Nothing arrives from the Pi (`quiet`), or it does again: only the playing connection's say counts. */
function onQuiet(state: Attempt, quiet: boolean, connected: boolean, now: number): Transition {
  if (handingOver(state) || (state.kind !== 'playing' && state.kind !== 'lost')) return stay(state);
  if (quiet) return state.kind === 'playing' && state.line === 'connected' ? lose(state, now) : stay(state);
  if (!connected) return stay(state);
  const playing: ConnectionState = { ...liveBase(state), kind: 'playing', line: 'connected' };
  return { state: playing, effects: state.kind === 'lost' ? [{ type: 'disarm-recovery' }] : [] };
}

/**
 * The playing connection stopped carrying: shown as reconnecting, with the time since, while
 * the path may come back by itself (the Pi checks it again from its new address; ICE and DTLS
 * carry on where they were). Past RECOVERY_MS only a fresh code helps.
 */
function lose(state: Live, now: number): Transition {
  if (state.kind === 'lost') return stay(state);
  return { state: { ...liveBase(state), kind: 'lost', since: now }, effects: [{ type: 'arm-recovery', id: state.id }] };
}

/** Takes the Pi's answer to our offer. A wrong one leaves the offer standing for the right one. */
function acceptAnswer(state: ConnectionState, answer: DecodedBlob): Transition {
  const offer = state.kind === 'waiting' || state.kind === 'playing' || state.kind === 'lost' ? state.offer : undefined;
  if (!offer || !isAttempt(state)) return notice(state, new ConnectionError('E_NO_OFFER'));
  if (answer.offerId !== undefined && answer.offerId !== offer.id) return notice(state, new ConnectionError('E_OTHER_OFFER'));
  return { state: { ...state, error: undefined }, effects: [{ type: 'apply-answer', id: state.id, sdp: answer.sdp }] };
}

/** A reconnect starts only on a connection that has played, with the agent's channel open, and one at a time. */
function reconnect(state: ConnectionState, id: number, agentOpen: boolean): Transition {
  if (!agentOpen || (state.kind !== 'playing' && state.kind !== 'lost')) {
    return notice(state, new ConnectionError('E_RESTART', { message: `${CONNECTION_MESSAGES.E_RESTART} There is no open data channel to the Pi.` }));
  }
  if (state.restart) return stay(state);
  return stay({ ...state, restart: { id, handover: false }, error: undefined });
}

function restarting(state: ConnectionState, event: Extract<ConnectionEvent, { type: 'handover' | 'handed-over' | 'restart-failed' }>): Transition {
  const current = (state.kind === 'playing' || state.kind === 'lost') && state.restart?.id === event.id ? state : undefined;
  // Overtaken (started over, closed, failed): its new connection is not wanted.
  if (!current) return { state, effects: [{ type: 'release', ids: [event.id] }] };
  switch (event.type) {
    case 'handover':
      return stay({ ...current, restart: { id: event.id, handover: true } });
    case 'handed-over': {
      // The new connection is up: it carries everything from now on; the old one is closed.
      const playing: ConnectionState = { ...liveBase(current), id: event.id, kind: 'playing', line: 'connected', video: event.video, restart: undefined };
      const effects: ConnectionEffect[] = [{ type: 'release', ids: [current.id] }, { type: 'unplug' }];
      if (current.kind === 'lost') effects.push({ type: 'disarm-recovery' });
      effects.push({ type: 'adopt', id: event.id }, { type: 'channel', id: event.id }, { type: 'live', id: event.id });
      return { state: playing, effects };
    }
    case 'restart-failed': {
      const without: ConnectionState = { ...current, restart: undefined };
      // A lost connection still waiting for its path to come back is not over either.
      if (event.agentOpen && (event.oldConnected || current.kind === 'lost')) {
        // The reconnect's own reasons (no answer, not up in time) say so already; anything else is why it did not work.
        const detail = event.error instanceof Error ? event.error.message : String(event.error);
        const said = notice(without, isPigeonError(event.error) && event.error.code === 'E_RESTART' ? event.error : new ConnectionError('E_RESTART', { detail, cause: event.error }));
        return { state: said.state, effects: [{ type: 'release', ids: [event.id] }, ...said.effects] };
      }
      // The old connection went down during the hand-over: nothing is left to play.
      return fail(current, new ConnectionError('E_DISCONNECTED'));
    }
  }
}

/** Closes what was there. What it said last stays said; a failure stays a failure (without its video). */
function close(state: ConnectionState): Transition {
  const effects: ConnectionEffect[] = [{ type: 'closing' }, ...teardown(state)];
  switch (state.kind) {
    case 'idle':
    case 'closed':
      return { state, effects };
    case 'failed':
      return { state: { ...state, connectedOnce: false, video: undefined }, effects };
    default:
      return { state: { kind: 'closed', role: state.role, error: state.error }, effects };
  }
}

/** The attempt is over, for `error`: said once, and everything of it let go. */
function fail(state: Attempt, error: unknown): Transition {
  const detail = viewerErrorOf(error);
  const failed: ConnectionState = { kind: 'failed', role: state.role, connectedOnce: state.kind === 'playing' || state.kind === 'lost', video: state.video, error: detail };
  const ended = end(state, failed);
  return { state: ended.state, effects: [...ended.effects, { type: 'emit-error', error: detail }] };
}

/** Moves to `next`, letting go of everything `state` held. */
function end(state: Attempt, next: ConnectionState): Transition {
  return { state: next, effects: teardown(state) };
}

/** What letting go of `state` takes: its connections (and a reconnect's), the channel and the sampler, the recovery wait. */
function teardown(state: ConnectionState): ConnectionEffect[] {
  const ids = isAttempt(state) ? [state.id, ...(hasRestart(state) ? [state.restart.id] : [])] : [];
  const effects: ConnectionEffect[] = [];
  if (ids.length > 0) effects.push({ type: 'release', ids });
  effects.push({ type: 'unplug' });
  if (state.kind === 'lost') effects.push({ type: 'disarm-recovery' });
  return effects;
}

/** A refusal that leaves the connection as it is: said (the state's `error`) and fired. */
function notice(state: ConnectionState, error: unknown): Transition {
  const detail = viewerErrorOf(error);
  return { state: { ...state, error: detail }, effects: [{ type: 'emit-error', error: detail }] };
}

function stay(state: ConnectionState): Transition {
  return { state, effects: [] };
}

function isAttempt(state: ConnectionState): state is Attempt {
  return 'id' in state;
}

function hasRestart(state: ConnectionState): state is Live & { restart: Restart } {
  return (state.kind === 'playing' || state.kind === 'lost') && state.restart !== undefined;
}

function handingOver(state: ConnectionState): boolean {
  return hasRestart(state) && state.restart.handover;
}

/** The current connection's number, if there is one. */
export function idOf(state: ConnectionState): number | undefined {
  return isAttempt(state) ? state.id : undefined;
}

/** The reconnect under way, if any. */
export function restartOf(state: ConnectionState): Restart | undefined {
  return hasRestart(state) ? state.restart : undefined;
}

function withoutPrep(state: Extract<ConnectionState, { kind: 'preparing' }>): OnConnection {
  return { id: state.id, role: state.role, video: state.video, error: state.error };
}

/** What a playing or lost connection keeps across either: everything but the kind and its own fields. */
function liveBase(state: Attempt): OnConnection & { offer: OwnOffer | undefined; restart: Restart | undefined } {
  const offer = state.kind === 'waiting' || state.kind === 'playing' || state.kind === 'lost' ? state.offer : undefined;
  return { id: state.id, role: state.role, video: state.video, error: state.error, offer, restart: restartOf(state) };
}

/** What `<pigeon-viewer>` reads: the status and the times it shows, derived from the state. */
export function viewOf(state: ConnectionState): ConnectionView {
  const view = (status: PeerStatus, role: Role, video: VideoFeed | undefined, more: Partial<ConnectionView> = {}): ConnectionView => ({
    status,
    role,
    video,
    connectedOnce: false,
    error: state.error,
    waitingSince: undefined,
    lostSince: undefined,
    restarting: false,
    offeredCodecs: undefined,
    ...more,
  });
  switch (state.kind) {
    case 'idle':
      return view('idle', 'answerer', undefined);
    case 'closed':
      return view('closed', state.role, undefined);
    case 'failed':
      return view('failed', state.role, state.video, { connectedOnce: state.connectedOnce });
    case 'preparing':
      return view(state.checks !== 'none' ? state.checks : state.role === 'answerer' ? 'answering' : 'offering', state.role, state.video);
    case 'waiting':
      return view(state.checks === 'none' ? 'waiting' : state.checks, state.role, state.video, { waitingSince: state.since, offeredCodecs: state.offer?.codecs });
    case 'playing':
    case 'lost':
      return view(state.kind === 'lost' ? 'disconnected' : state.line, state.role, state.video, {
        connectedOnce: true,
        lostSince: state.kind === 'lost' ? state.since : undefined,
        restarting: state.restart !== undefined,
        offeredCodecs: state.offer?.codecs,
      });
  }
}
