import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AgentProcess, NetnsPair, eventually, joinChromiumViewer, launchChromium, netnsUnavailable, type ChromiumHandle } from '../harness/index.ts';

/*
 * Issue 26: a viewer that sends nothing for 4 s is dropped as gone (silence-watch.ts); a network
 * outage shorter than that must not drop it. The agent in one namespace, an independent Chromium
 * viewer in another; the link between them is down for 2.5 s (`ip link set … down`), so no packet passes.
 */
const unavailable = netnsUnavailable();
const OUTAGE_MS = 2500;
/** Past the outage, longer than the silence window, for a drop to have shown if there was one. */
const SETTLE_MS = 6000;

const net = new NetnsPair(`${process.pid}`, 'robot2');
let chromium: ChromiumHandle | undefined;
let agent: AgentProcess | undefined;

before(() => {
  if (!unavailable) net.create();
});

after(async () => {
  await agent?.stop().catch(() => undefined);
  await chromium?.close().catch(() => undefined);
  net.destroy();
});

test('a 2.5 s outage does not drop a Chromium viewer, and its video goes on after', { skip: unavailable }, async (t) => {
  chromium = await launchChromium({ wrap: NetnsPair.wrap(net.viewerNs) });
  agent = new AgentProcess(['offer', '--source', 'test', '--width', '320', '--height', '240', '--fps', '30', '--viewers', '1'], process.env, NetnsPair.wrap(net.agentNs));
  const viewer = await joinChromiumViewer(agent, chromium);
  const playing = await eventually(() => viewer.videoStats(), (s) => s.framesDecoded > 30, 15_000);
  assert.ok(playing.framesDecoded > 30, `video before the outage (${playing.framesDecoded} frames)`);
  const mark = agent.events.length;
  const lostAt = Date.now();
  net.linkUp(false);
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  net.linkUp(true);
  const backAt = Date.now();
  const before = (await viewer.videoStats()).framesDecoded;
  const after = await eventually(() => viewer.videoStats(), (s) => s.framesDecoded >= before + 30, 15_000);
  t.diagnostic(`outage ${backAt - lostAt} ms; ${after.framesDecoded - before} frames decoded since, ${Date.now() - backAt} ms after it ended`);
  assert.ok(after.framesDecoded >= before + 30, `video goes on after the outage (${before} → ${after.framesDecoded} frames)`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, backAt + SETTLE_MS - Date.now())));
  const left = agent.events.slice(mark).filter((e) => e.type === 'viewer-left');
  assert.deepEqual(left, [], 'the viewer was not dropped');
});
