// The page's connection as a state and a pure transition (src/controllers/connection-state.ts),
// driven here event by event in Node, without a browser: what each thing that happens makes of
// the connection (through viewOf, what <pigeon-viewer> reads) and what it asks to be done.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { RECOVERY_MS, START, transition, viewOf, type ConnectionEffect, type ConnectionEvent, type ConnectionState } from '../../src/controllers/connection-state.ts';
import { CONNECTION_MESSAGES, ConnectionError } from '../../src/events/viewer-error.ts';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import type { VideoFeed } from '../../src/transport/transport.ts';

const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const answerBlob = encodeBlob({ type: 'answer', sdp: SDP.replace(/actpass/g, 'active') }, { offerId: 42 });
const offerBlob = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 42 });
/** A feed as a transport reports it; the machine only carries it to the view. */
const feed = { kind: 'stream', stream: {} } as unknown as VideoFeed;

/** Runs `events` from `from`, returning the state and every effect asked for on the way. */
function run(events: readonly ConnectionEvent[], from: ConnectionState = START): { state: ConnectionState; effects: ConnectionEffect[] } {
  let state = from;
  const effects: ConnectionEffect[] = [];
  for (const event of events) {
    const next = transition(state, event);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

function step(state: ConnectionState, event: ConnectionEvent): { state: ConnectionState; effects: readonly ConnectionEffect[] } {
  return transition(state, event);
}

const types = (effects: readonly ConnectionEffect[]): string[] => effects.map((effect) => effect.type);
const errorOf = (effects: readonly ConnectionEffect[]): string | undefined => effects.flatMap((e) => (e.type === 'emit-error' ? [e.error.code] : []))[0];
const released = (effects: readonly ConnectionEffect[]): number[] => effects.flatMap((e) => (e.type === 'release' ? e.ids : []));

const answering: ConnectionEvent[] = [{ type: 'answer', id: 1 }];
const waiting: ConnectionEvent[] = [...answering, { type: 'answered', id: 1, blob: answerBlob, now: 1000 }];
const playing: ConnectionEvent[] = [
  ...waiting,
  { type: 'video', id: 1, video: feed },
  { type: 'state', id: 1, state: 'connected', failureMayPass: true, now: 2000 },
];
const offering: ConnectionEvent[] = [
  { type: 'offer', id: 1 },
  { type: 'offered', id: 1, blob: offerBlob, offer: { id: 42, codecs: ['H264'] }, now: 500 },
];
const state = (events: ConnectionEvent[]): ConnectionState => run(events).state;

describe('answering the Pi', () => {
  test('answering → waiting → connecting → connected, with the waiting clock from the answer to the connection', () => {
    let s = state(answering);
    assert.equal(viewOf(s).status, 'answering');
    assert.equal(viewOf(s).waitingSince, undefined);
    const answered = step(s, { type: 'answered', id: 1, blob: answerBlob, now: 1000 });
    assert.deepEqual(answered.effects, [{ type: 'emit-answer', blob: answerBlob }]);
    s = answered.state;
    assert.equal(viewOf(s).status, 'waiting');
    assert.equal(viewOf(s).waitingSince, 1000);
    s = step(s, { type: 'state', id: 1, state: 'connecting', failureMayPass: true, now: 1500 }).state;
    assert.equal(viewOf(s).status, 'connecting');
    assert.equal(viewOf(s).waitingSince, 1000, 'the checks do not stop the clock: the Pi may not have the answer yet');
    const connected = step(s, { type: 'state', id: 1, state: 'connected', failureMayPass: true, now: 2000 });
    assert.deepEqual(types(connected.effects), ['live', 'emit-connected']);
    const view = viewOf(connected.state);
    assert.equal(view.status, 'connected');
    assert.equal(view.connectedOnce, true);
    assert.equal(view.waitingSince, undefined);
  });

  test('ICE checks that start before the answer is ready (Chromium) show as connecting, and stay so once it is', () => {
    const s = state([...answering, { type: 'state', id: 1, state: 'connecting', failureMayPass: true, now: 10 }]);
    assert.equal(viewOf(s).status, 'connecting');
    const after = step(s, { type: 'answered', id: 1, blob: answerBlob, now: 20 }).state;
    assert.equal(viewOf(after).status, 'connecting');
    assert.equal(viewOf(after).waitingSince, 20);
  });

  test('the answer of an attempt replaced by a newer offer is dropped, and the older connection released', () => {
    const second = step(state(answering), { type: 'answer', id: 2 });
    assert.deepEqual(released(second.effects), [1]);
    assert.equal(types(second.effects)[0], 'closing', 'the agent is told before anything is let go');
    const late = step(second.state, { type: 'answered', id: 1, blob: answerBlob, now: 5 });
    assert.deepEqual(late.effects, []);
    assert.equal(viewOf(late.state).status, 'answering');
    // And whatever the old connection still says is not heard.
    const stale = step(late.state, { type: 'state', id: 1, state: 'failed', failureMayPass: false, now: 6 });
    assert.equal(stale.state, late.state);
  });

  test('a failure to make the answer ends the attempt; a late failure of a replaced one does not', () => {
    const failed = step(state(answering), { type: 'failed', id: 1, error: new Error('boom') });
    assert.equal(viewOf(failed.state).status, 'failed');
    assert.equal(errorOf(failed.effects), 'E_WEBRTC', 'a browser exception is reported as the browser’s failure');
    const replaced = state([...answering, { type: 'answer', id: 2 }]);
    assert.deepEqual(step(replaced, { type: 'failed', id: 1, error: new Error('late') }).effects, []);
  });

  test('failed before playing: the Pi reached us, then stopped → its code expired; never reached → unreachable', () => {
    const reached = run([...waiting, { type: 'reached', id: 1 }, { type: 'state', id: 1, state: 'failed', failureMayPass: true, now: 9 }]);
    assert.equal(errorOf(reached.effects), 'E_CODE_EXPIRED');
    assert.deepEqual(released(reached.effects), [1]);
    const unreached = run([...waiting, { type: 'state', id: 1, state: 'failed', failureMayPass: true, now: 9 }]);
    assert.equal(errorOf(unreached.effects), 'E_ICE_FAILED');
    assert.equal(viewOf(unreached.state).connectedOnce, false);
    // Offering, the Pi answering our checks means nothing about a code of its own.
    const offerer = run([...offering, { type: 'reached', id: 1 }, { type: 'state', id: 1, state: 'failed', failureMayPass: true, now: 9 }]);
    assert.equal(errorOf(offerer.effects), 'E_ICE_FAILED');
  });

  test('disconnected before it ever played is said as such, not as a lost path', () => {
    const s = state([...waiting, { type: 'state', id: 1, state: 'disconnected', failureMayPass: true, now: 9 }]);
    assert.equal(viewOf(s).status, 'disconnected');
    assert.equal(viewOf(s).lostSince, undefined);
    assert.equal(viewOf(s).connectedOnce, false);
  });

  test('the video is carried to the view as the transport gave it, and kept on a failure after playing', () => {
    const s = state(playing);
    assert.equal(viewOf(s).video, feed);
    const failed = step(s, { type: 'state', id: 1, state: 'failed', failureMayPass: false, now: 3000 });
    assert.equal(viewOf(failed.state).video, feed);
    assert.equal(viewOf(failed.state).connectedOnce, true);
    assert.equal(errorOf(failed.effects), 'E_DISCONNECTED');
  });
});

describe('offering, for pi-agent answer', () => {
  test('our offer is out: waiting for the answer, with the codecs it carries', () => {
    const { state: s, effects } = run(offering);
    assert.deepEqual(types(effects).slice(-1), ['emit-offer']);
    assert.equal(viewOf(s).status, 'waiting');
    assert.equal(viewOf(s).role, 'offerer');
    assert.deepEqual(viewOf(s).offeredCodecs, ['H264']);
  });

  test('an answer for an old offer is refused and leaves this offer standing for the right one', () => {
    const other = decodeBlob(encodeBlob({ type: 'answer', sdp: SDP.replace(/actpass/g, 'active') }, { offerId: 7 }).bytes);
    const wrong = step(state(offering), { type: 'accept-answer', answer: other });
    assert.equal(errorOf(wrong.effects), 'E_OTHER_OFFER');
    assert.ok(!types(wrong.effects).includes('apply-answer'));
    assert.equal(viewOf(wrong.state).status, 'waiting');
    assert.equal(viewOf(wrong.state).error?.code, 'E_OTHER_OFFER');
    const right = step(wrong.state, { type: 'accept-answer', answer: decodeBlob(answerBlob.bytes) });
    assert.deepEqual(types(right.effects), ['apply-answer']);
    assert.equal(viewOf(right.state).error, undefined, 'the right answer clears the refusal');
  });

  test('an answer with no offer out is refused where it stands (idle, or while the offer is still being made)', () => {
    const idle = step(START, { type: 'accept-answer', answer: decodeBlob(answerBlob.bytes) });
    assert.equal(errorOf(idle.effects), 'E_NO_OFFER');
    assert.equal(viewOf(idle.state).status, 'idle');
    const preparing = step(state([{ type: 'offer', id: 1 }]), { type: 'accept-answer', answer: decodeBlob(answerBlob.bytes) });
    assert.equal(errorOf(preparing.effects), 'E_NO_OFFER');
    assert.equal(viewOf(preparing.state).status, 'offering');
  });

  test('applying the answer failing is a refusal on that connection, dropped if it is no longer current', () => {
    const s = state(offering);
    const refused = step(s, { type: 'notice', id: 1, error: new Error('InvalidStateError') });
    assert.equal(viewOf(refused.state).status, 'waiting');
    assert.equal(viewOf(refused.state).error?.code, 'E_WEBRTC');
    assert.deepEqual(step(s, { type: 'notice', id: 9, error: new Error('late') }).effects, []);
  });
});

describe('a lost path', () => {
  test('disconnected after playing: lost, counted from then, the recovery wait armed; connected again: found', () => {
    const lost = step(state(playing), { type: 'state', id: 1, state: 'disconnected', failureMayPass: true, now: 5000 });
    assert.deepEqual(lost.effects, [{ type: 'arm-recovery', id: 1 }]);
    assert.equal(viewOf(lost.state).status, 'disconnected');
    assert.equal(viewOf(lost.state).lostSince, 5000);
    // Still lost: the clock keeps its start, nothing is armed twice.
    const again = step(lost.state, { type: 'quiet', id: 1, quiet: true, connected: false, now: 6000 });
    assert.deepEqual(again.effects, []);
    assert.equal(viewOf(again.state).lostSince, 5000);
    const found = step(again.state, { type: 'state', id: 1, state: 'connected', failureMayPass: true, now: 7000 });
    assert.deepEqual(types(found.effects), ['disarm-recovery', 'live', 'emit-connected']);
    assert.equal(viewOf(found.state).lostSince, undefined);
    assert.equal(viewOf(found.state).status, 'connected');
  });

  test('quiet (nothing arrives) is lost too; bytes again with ICE connected is found, with ICE not connected is not', () => {
    const lost = step(state(playing), { type: 'quiet', id: 1, quiet: true, connected: true, now: 5000 });
    assert.equal(viewOf(lost.state).status, 'disconnected');
    assert.deepEqual(step(lost.state, { type: 'quiet', id: 1, quiet: false, connected: false, now: 5500 }).state, lost.state);
    const found = step(lost.state, { type: 'quiet', id: 1, quiet: false, connected: true, now: 6000 });
    assert.deepEqual(found.effects, [{ type: 'disarm-recovery' }]);
    assert.equal(viewOf(found.state).status, 'connected');
  });

  test('quiet before it ever played counts for nothing', () => {
    const s = state(waiting);
    assert.equal(step(s, { type: 'quiet', id: 1, quiet: true, connected: false, now: 1 }).state, s);
  });

  test('failed after playing: a transport whose failure may pass waits; one whose failure is final ends now', () => {
    const waits = step(state(playing), { type: 'state', id: 1, state: 'failed', failureMayPass: true, now: 5000 });
    assert.equal(viewOf(waits.state).status, 'disconnected');
    assert.deepEqual(types(waits.effects), ['arm-recovery']);
    const ends = step(state(playing), { type: 'state', id: 1, state: 'failed', failureMayPass: false, now: 5000 });
    assert.equal(viewOf(ends.state).status, 'failed');
    assert.equal(errorOf(ends.effects), 'E_DISCONNECTED');
  });

  test('RECOVERY_MS without the path: over, with how long it waited; a late timer of an older connection is dropped', () => {
    const lost = state([...playing, { type: 'state', id: 1, state: 'disconnected', failureMayPass: true, now: 5000 }]);
    const over = step(lost, { type: 'recovery-over', id: 1 });
    assert.equal(viewOf(over.state).status, 'failed');
    assert.match(viewOf(over.state).error?.message ?? '', new RegExp(`${RECOVERY_MS / 1000} s`));
    assert.deepEqual(types(over.effects), ['release', 'unplug', 'disarm-recovery', 'emit-error']);
    assert.equal(step(lost, { type: 'recovery-over', id: 9 }).state, lost);
    // Found again before the timer ran out: the timer's late word changes nothing.
    const found = state([...playing, { type: 'state', id: 1, state: 'disconnected', failureMayPass: true, now: 5000 }, { type: 'state', id: 1, state: 'connected', failureMayPass: true, now: 6000 }]);
    assert.equal(step(found, { type: 'recovery-over', id: 1 }).state, found);
  });
});

describe('reconnecting over the data channel', () => {
  const restarting: ConnectionEvent[] = [...playing, { type: 'reconnect', id: 5, agentOpen: true }];

  test('the new connection takes over once up: the old one released, the new one listened to, its channel and video live', () => {
    const s = state(restarting);
    assert.equal(viewOf(s).restarting, true);
    const handed = run([{ type: 'handover', id: 5 }, { type: 'handed-over', id: 5, video: feed }], s);
    assert.deepEqual(types(handed.effects), ['release', 'unplug', 'adopt', 'channel', 'live']);
    assert.deepEqual(released(handed.effects), [1]);
    assert.equal(viewOf(handed.state).restarting, false);
    assert.equal(viewOf(handed.state).status, 'connected');
    // The new connection is the one heard from now on.
    const later = step(handed.state, { type: 'state', id: 5, state: 'disconnected', failureMayPass: true, now: 9000 });
    assert.equal(viewOf(later.state).status, 'disconnected');
    assert.equal(step(handed.state, { type: 'state', id: 1, state: 'failed', failureMayPass: false, now: 9000 }).state, handed.state);
  });

  test('one reconnect at a time; none without a playing connection and an open channel', () => {
    const s = state(restarting);
    assert.equal(step(s, { type: 'reconnect', id: 6, agentOpen: true }).state, s);
    const closedChannel = step(state(playing), { type: 'reconnect', id: 6, agentOpen: false });
    assert.equal(errorOf(closedChannel.effects), 'E_RESTART');
    assert.match(viewOf(closedChannel.state).error?.message ?? '', /no open data channel/);
    assert.equal(viewOf(closedChannel.state).status, 'connected');
    assert.equal(errorOf(step(state(waiting), { type: 'reconnect', id: 6, agentOpen: true }).effects), 'E_RESTART');
  });

  test('loss during the hand-over: what the old connection says is expected and changes nothing', () => {
    const handing = state([...restarting, { type: 'handover', id: 5 }]);
    for (const event of [
      { type: 'state', id: 1, state: 'disconnected', failureMayPass: true, now: 9 },
      { type: 'state', id: 1, state: 'failed', failureMayPass: false, now: 9 },
      { type: 'quiet', id: 1, quiet: true, connected: false, now: 9 },
      { type: 'channel-closed' },
      { type: 'ended', id: 1, error: new Error('bridge gone') },
    ] satisfies ConnectionEvent[]) {
      const next = step(handing, event);
      assert.equal(next.state, handing, event.type);
      assert.deepEqual(next.effects, [], event.type);
    }
  });

  test('before the hand-over, the old connection losing its path is a loss as ever', () => {
    const s = step(state(restarting), { type: 'state', id: 1, state: 'disconnected', failureMayPass: true, now: 7000 });
    assert.equal(viewOf(s.state).status, 'disconnected');
    assert.equal(viewOf(s.state).restarting, true);
  });

  test('restart while recovering: a failed reconnect leaves the lost connection waiting for its path', () => {
    const lost = state([...playing, { type: 'state', id: 1, state: 'disconnected', failureMayPass: true, now: 5000 }, { type: 'reconnect', id: 5, agentOpen: true }]);
    assert.equal(viewOf(lost).restarting, true);
    assert.equal(viewOf(lost).lostSince, 5000);
    const failed = step(lost, { type: 'restart-failed', id: 5, error: new Error('no answer from the Pi within 10 s'), agentOpen: true, oldConnected: false });
    assert.equal(errorOf(failed.effects), 'E_RESTART');
    assert.deepEqual(released(failed.effects), [5]);
    assert.equal(viewOf(failed.state).status, 'disconnected');
    assert.equal(viewOf(failed.state).lostSince, 5000);
    assert.equal(viewOf(failed.state).restarting, false);
    assert.match(viewOf(failed.state).error?.message ?? '', /no answer from the Pi/);
  });

  test('restart while recovering that works: the new connection plays, the loss and its wait are over', () => {
    const lost = state([...playing, { type: 'state', id: 1, state: 'disconnected', failureMayPass: true, now: 5000 }, { type: 'reconnect', id: 5, agentOpen: true }]);
    const handed = run([{ type: 'handover', id: 5 }, { type: 'handed-over', id: 5, video: feed }], lost);
    assert.ok(types(handed.effects).includes('disarm-recovery'));
    assert.equal(viewOf(handed.state).status, 'connected');
    assert.equal(viewOf(handed.state).lostSince, undefined);
  });

  test('a reconnect’s own reason (the Pi’s refusal, no answer in time) is said as it is, anything else as why it did not work', () => {
    const own = new ConnectionError('E_RESTART', { detail: 'the Pi said: no' });
    const said = step(state(restarting), { type: 'restart-failed', id: 5, error: own, agentOpen: true, oldConnected: true });
    assert.equal(viewOf(said.state).error?.message, own.message);
    assert.equal(viewOf(said.state).status, 'connected', 'the old connection plays on');
    const other = step(state(restarting), { type: 'restart-failed', id: 5, error: new Error('InvalidStateError'), agentOpen: true, oldConnected: true });
    assert.equal(viewOf(other.state).error?.message, `${CONNECTION_MESSAGES.E_RESTART} (InvalidStateError)`);
  });

  test('a failed reconnect with the old connection gone too ends it: nothing is left to play', () => {
    const failed = step(state(restarting), { type: 'restart-failed', id: 5, error: new Error('x'), agentOpen: false, oldConnected: false });
    assert.equal(errorOf(failed.effects), 'E_DISCONNECTED');
    assert.deepEqual(released(failed.effects), [1, 5]);
  });

  test('a reconnect overtaken by close, a new offer or the agent leaving lets its new connection go', () => {
    const closed = step(state(restarting), { type: 'close' });
    assert.deepEqual(released(closed.effects), [1, 5]);
    assert.equal(viewOf(closed.state).status, 'closed');
    const late = step(closed.state, { type: 'handover', id: 5 });
    assert.deepEqual(late.effects, [{ type: 'release', ids: [5] }]);
    assert.equal(late.state, closed.state);
    const bye = step(state(restarting), { type: 'agent-stopped', reason: 'stopped by SIGTERM' });
    assert.equal(errorOf(bye.effects), 'E_AGENT_STOPPED');
    assert.match(viewOf(bye.state).error?.message ?? '', /away \(stopped by SIGTERM\)/);
    assert.deepEqual(released(bye.effects), [1, 5]);
    const failedLate = step(bye.state, { type: 'restart-failed', id: 5, error: new Error('aborted'), agentOpen: false, oldConnected: false });
    assert.equal(errorOf(failedLate.effects), undefined, 'its failure is not said again');
  });
});

describe('the agent and the transport ending it', () => {
  test('the agent’s channel closing ends a connection (no way to re-signal), once', () => {
    const closed = step(state(playing), { type: 'channel-closed' });
    assert.equal(errorOf(closed.effects), 'E_CHANNEL_CLOSED');
    assert.deepEqual(step(closed.state, { type: 'channel-closed' }).effects, []);
  });

  test('a transport that ends for its own reason (a bridge gone) says it as the failure', () => {
    const ended = step(state(playing), { type: 'ended', id: 1, error: new Error('The Pigeon bridge went away') });
    assert.equal(viewOf(ended.state).status, 'failed');
    assert.match(viewOf(ended.state).error?.message ?? '', /bridge went away/);
  });

  test('a refusal on the way (the bridge’s) is passed on for the current connection, and changes nothing', () => {
    const refusal = { by: 'bridge', code: 'E_BRIDGE_STATE', message: 'no viewer yet' } as const;
    const passed = step(state(playing), { type: 'refusal', id: 1, refusal });
    assert.deepEqual(passed.effects, [{ type: 'emit-refusal', refusal }]);
    assert.equal(viewOf(passed.state).error, undefined);
    assert.deepEqual(step(state(playing), { type: 'refusal', id: 3, refusal }).effects, []);
  });

  test('channel and reached are passed on only for the current connection', () => {
    assert.deepEqual(step(state(waiting), { type: 'channel', id: 1 }).effects, [{ type: 'channel', id: 1 }]);
    assert.deepEqual(step(state(waiting), { type: 'channel', id: 2 }).effects, []);
  });
});

describe('closing', () => {
  test('closing a connection: the agent told first, everything released, status closed', () => {
    const { state: s, effects } = step(state(playing), { type: 'close' });
    assert.deepEqual(types(effects), ['closing', 'release', 'unplug']);
    assert.equal(viewOf(s).status, 'closed');
    assert.equal(viewOf(s).video, undefined);
  });

  test('closing with nothing open stays idle; closing after a failure keeps what it said but not the video', () => {
    const idle = step(START, { type: 'close' });
    assert.equal(viewOf(idle.state).status, 'idle');
    assert.deepEqual(types(idle.effects), ['closing', 'unplug']);
    const failed = state([...playing, { type: 'state', id: 1, state: 'failed', failureMayPass: false, now: 3000 }]);
    const closed = step(failed, { type: 'close' }).state;
    assert.equal(viewOf(closed).status, 'failed');
    assert.equal(viewOf(closed).error?.code, 'E_DISCONNECTED');
    assert.equal(viewOf(closed).video, undefined);
    assert.equal(viewOf(closed).connectedOnce, false);
  });

  test('closing while lost stops the recovery wait', () => {
    const lost = state([...playing, { type: 'state', id: 1, state: 'disconnected', failureMayPass: true, now: 5000 }]);
    assert.ok(types(step(lost, { type: 'close' }).effects).includes('disarm-recovery'));
  });

  test('a new offer after a failure starts clean: no error, no clock', () => {
    const failed = state([...waiting, { type: 'state', id: 1, state: 'failed', failureMayPass: true, now: 9 }]);
    const fresh = step(failed, { type: 'answer', id: 2 }).state;
    const view = viewOf(fresh);
    assert.equal(view.status, 'answering');
    assert.equal(view.error, undefined);
    assert.equal(view.waitingSince, undefined);
    assert.equal(view.connectedOnce, false);
  });
});
