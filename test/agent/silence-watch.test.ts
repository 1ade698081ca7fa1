import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SILENT_AFTER_MS, SilenceWatch } from '../../pi-agent/src/webrtc/silence-watch.ts';
import { eventually } from '../harness/index.ts';

/*
 * The silence watch on a real clock and a real event loop. A viewer is a connection's
 * lastHeardAt(); here one that was heard just before this process stopped running (the event loop
 * blocked for 6 s, as a frozen VM or a suspended machine does to every process) must not be
 * called silent for that time, while one that truly says nothing is still reported, once the
 * watch has listened SILENT_AFTER_MS.
 */
test('time the agent itself was not running is not a viewer\'s silence; a viewer silent while it listens still is', { timeout: 60_000 }, async () => {
  const talking = { name: 'talking', heard: Date.now(), peer: { lastHeardAt: () => talking.heard } };
  const mute = { name: 'mute', heard: Date.now(), peer: { lastHeardAt: () => mute.heard } };
  const reported: { name: string; at: number }[] = [];
  let keepTalking = true;
  const chatter = setInterval(() => {
    if (keepTalking) talking.heard = Date.now();
  }, 100);
  const watch = new SilenceWatch(() => [talking, mute], (v) => reported.push({ name: v.name, at: Date.now() }));
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The process stops running for 6 s: nothing is read, no timer fires.
    const frozenAt = Date.now();
    while (Date.now() - frozenAt < 6000) {
      // busy: the event loop is blocked
    }
    const resumedAt = Date.now();
    mute.heard = frozenAt; // the mute one said its last just before the freeze, then nothing
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(reported.length, 0, `nobody is called silent for the time the agent was frozen: ${reported.map((r) => r.name).join(', ')}`);
    const muteReported = await eventually(() => reported.find((r) => r.name === 'mute'), (r) => r !== undefined, SILENT_AFTER_MS + 10_000);
    assert.ok(muteReported, 'the viewer that stays silent after the freeze is reported');
    assert.ok(muteReported.at - resumedAt >= SILENT_AFTER_MS, `reported ${muteReported.at - resumedAt} ms after the agent ran again, not before ${SILENT_AFTER_MS}`);
    assert.equal(reported.filter((r) => r.name === 'talking').length, 0, 'the viewer that kept talking is never called silent');
    keepTalking = false;
  } finally {
    watch.stop();
    clearInterval(chatter);
  }
});
