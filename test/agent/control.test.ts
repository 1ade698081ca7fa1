import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeBlob, encodeBlob, encodeMessage, isAgentCodec, parseAgentMessage, type AgentMessage } from '../../src/signal/index.ts';
import { type AgentProcess, agentRig, type BrowserPeer, eventually, joinChromiumViewer } from '../harness/index.ts';

/* The data channel after the handshake, with the real agent and Chromium: nothing but messages. */
const rig = agentRig();
const SOURCE = ['--source', 'test', '--stats-interval', '0'];
const dir = mkdtempSync(join(tmpdir(), 'pigeon-control-'));

const joinViewer = (agent: AgentProcess, used: Set<number>): Promise<BrowserPeer> => joinChromiumViewer(agent, rig.chromium(), used);

/** The next message of `type` from the agent, skipping others. */
async function expectMessage<T extends AgentMessage['type']>(viewer: BrowserPeer, type: T, timeoutMs = 5000): Promise<Extract<AgentMessage, { type: T }>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const message = parseAgentMessage(await viewer.nextMessage(Math.max(1, until - Date.now())));
    if (message.type === type) return message as Extract<AgentMessage, { type: T }>;
  }
}

async function kbps(viewer: BrowserPeer, seconds: number): Promise<number> {
  const before = (await viewer.videoStats()).bytesReceived;
  await sleep(seconds * 1000);
  return (((await viewer.videoStats()).bytesReceived - before) * 8) / seconds / 1000;
}

test('hello, then telemetry about once a second: encoder fps and bitrate, viewers, agent CPU', async () => {
  const agent = rig.startAgent(['offer', ...SOURCE]);
  const viewer = await joinViewer(agent, new Set());
  const hello = await expectMessage(viewer, 'hello');
  assert.deepEqual(hello.limits, { minBitrate: 100, maxBitrate: 4000, maxWidth: 640, maxHeight: 480, maxFps: 30 });
  const started = Date.now();
  const first = await expectMessage(viewer, 'telemetry');
  const second = await expectMessage(viewer, 'telemetry');
  assert.ok(Date.now() - started < 2500);
  assert.equal(second.viewers, 1);
  // The first samples cover the encoder's start: wait (20 s at most) for the rate it settles at.
  const settled = await eventually(() => expectMessage(viewer, 'telemetry'), (m) => m.fps > 20, 20_000, 0);
  assert.ok(settled.fps > 20 && settled.kbps > 100 && settled.cpu >= 0, JSON.stringify([first, second, settled]));
  await agent.stop();
});

test('malformed messages get an error reply and are logged; the session stays up', async () => {
  const agent = rig.startAgent(['offer', ...SOURCE]);
  const viewer = await joinViewer(agent, new Set());
  for (const [text, code] of [
    ['not json at all', 'E_MSG_NOT_JSON'],
    ['{"v":1,"type":"set","bitrate":"fast"}', 'E_MSG_MALFORMED'],
    ['{"v":9,"type":"keyframe"}', 'E_MSG_VERSION'],
    [`{"v":1,"type":"signal","blob":"${'x'.repeat(20_000)}"}`, 'E_MSG_TOO_LARGE'],
  ] as const) {
    await viewer.send(text);
    assert.equal((await expectMessage(viewer, 'error')).code, code);
    await agent.next('refused', { where: (e) => e.code === code });
  }
  // A type this agent does not know is ignored without a reply.
  await viewer.send('{"v":1,"type":"zoom","level":2}');
  const before = (await viewer.videoStats()).framesDecoded;
  const after = await eventually(() => viewer.videoStats(), (s) => s.framesDecoded > before + 20, 10_000);
  assert.ok(after.framesDecoded > before + 20, 'video still plays');
  await agent.stop();
});

test('a bitrate change asked by one viewer changes what both receive, and the other is told', async () => {
  const agent = rig.startAgent(['offer', ...SOURCE, '--bitrate', '2000']);
  const used = new Set<number>();
  const asker = await joinViewer(agent, used);
  const other = await joinViewer(agent, used);
  // 3 s windows until the stream has ramped up (20 s at most), rather than one fixed window.
  const before = await eventually(() => kbps(other, 3), (rate) => rate > 1200, 20_000, 0);
  await asker.send(encodeMessage({ v: 1, type: 'set', bitrate: 300 }));
  const told = await expectMessage(other, 'settings', 10_000);
  assert.equal(told.settings.bitrate, 300);
  assert.equal(typeof told.by, 'number');
  await agent.next('settings', { where: (e) => e.bitrate === 300 });
  const after = await eventually(() => kbps(other, 3), (rate) => rate < 600, 20_000, 0);
  assert.ok(before > 1200 && after < 600, `receive bitrate ${Math.round(before)} -> ${Math.round(after)} kbit/s`);
  // Out of the agent's limits: clamped to them.
  await asker.send(encodeMessage({ v: 1, type: 'set', bitrate: 99_999 }));
  assert.equal((await expectMessage(other, 'settings', 10_000)).settings.bitrate, 4000);
  await agent.stop();
});

test('detections written to a FIFO reach the viewer, labelled with an RTP timestamp', async () => {
  const fifo = join(dir, 'detections');
  execFileSync('mkfifo', [fifo]);
  const agent = rig.startAgent(['offer', ...SOURCE, '--detections', fifo]);
  const viewer = await joinViewer(agent, new Set());
  // Boxes are labelled with the frame being sent: wait until frames flow to this viewer.
  const until = Date.now() + 5000;
  while ((await viewer.videoStats()).framesDecoded === 0 && Date.now() < until) await sleep(50);
  const writer = openSync(fifo, 'w');
  const box = { label: 'person', confidence: 0.9, x: 0.1, y: 0.2, w: 0.3, h: 0.4 };
  writeSync(writer, `${JSON.stringify({ boxes: [box] })}\nnot a detection\n`);
  const got = await expectMessage(viewer, 'detections');
  assert.deepEqual(got.boxes, [box]);
  assert.equal(typeof got.rtpTimestamp, 'number');
  await agent.next('refused', { where: (e) => e.code === 'E_DETECTIONS' });
  await agent.stop();
});

test('detections appended to a plain file are followed like tail -f', async () => {
  const file = join(dir, 'detections.jsonl');
  appendFileSync(file, `${JSON.stringify({ boxes: [{ label: 'old', confidence: 1, x: 0, y: 0, w: 1, h: 1 }] })}\n`);
  const agent = rig.startAgent(['offer', ...SOURCE, '--detections', file]);
  const viewer = await joinViewer(agent, new Set());
  appendFileSync(file, `${JSON.stringify({ boxes: [{ label: 'cat', confidence: 0.5, x: 0.5, y: 0.5, w: 0.1, h: 0.1 }], rtpTimestamp: 90000 })}\n`);
  const got = await expectMessage(viewer, 'detections');
  assert.deepEqual(got.boxes.map((b) => b.label), ['cat']);
  await agent.stop();
});

test('a new connection offered over the data channel takes over from the old one: same viewer, no new QR, video and messages go on', async (t) => {
  const agent = rig.startAgent(['offer', ...SOURCE]);
  const used = new Set<number>();
  const old = await joinViewer(agent, used);
  const [id] = [...used];
  assert.equal((await expectMessage(old, 'hello')).viewer, id);
  await sleep(500);

  // What the page does to reconnect: a fresh connection's offer, sent over the one that works.
  const fresh = await rig.chromium().newPeer();
  const offer = encodeBlob({ type: 'offer', sdp: await fresh.createOffer() }, { keepCodec: isAgentCodec, offerId: 4242 });
  const mark = agent.events.length;
  const sent = Date.now();
  await old.send(encodeMessage({ v: 1, type: 'signal', blob: offer.text }));
  const reply = await expectMessage(old, 'signal');
  const answer = decodeBlob(reply.blob, { expect: 'answer' });
  assert.equal(answer.offerId, 4242, 'the answer names the offer it answers');
  assert.equal(answer.mode, 'compact');
  assert.equal((await agent.next('reconnecting', { after: mark })).viewer, id);
  await fresh.acceptAnswer(answer.sdp);
  await fresh.waitForDataChannelOpen();
  const hello = await expectMessage(fresh, 'hello');
  assert.equal(hello.viewer, id, 'the same viewer number on the new connection');
  const reconnected = await agent.next('reconnected', { after: mark });
  t.diagnostic(`offer sent → new connection carrying the viewer: ${Date.now() - sent} ms (agent: ${reconnected.ms} ms from its answer)`);

  const before = (await fresh.videoStats()).framesDecoded;
  await sleep(1500);
  const after = (await fresh.videoStats()).framesDecoded;
  assert.ok(after > before + 30, `video on the new connection: ${before} → ${after} frames`);
  assert.equal((await expectMessage(fresh, 'telemetry')).viewers, 1, 'one viewer, not two');
  // The old connection is closed: it decodes nothing more.
  const oldFrames = (await old.videoStats()).framesDecoded;
  await sleep(1000);
  assert.equal((await old.videoStats()).framesDecoded, oldFrames, 'the old connection no longer gets video');
  // Control goes on over the new channel.
  await fresh.send('not json');
  assert.equal((await expectMessage(fresh, 'error')).code, 'E_MSG_NOT_JSON');
  assert.equal(agent.events.filter((e) => e.type === 'viewer-left').length, 0);
  assert.equal(agent.events.filter((e) => e.type === 'viewer-joined').length, 1, 'the same viewer, not a new one');
  await agent.stop();
});

test('offers over the data channel the agent cannot use are refused with the reason, and the session goes on', async () => {
  // H.264 only, so that an offer of VP8 alone is one it cannot use.
  const agent = rig.startAgent(['offer', ...SOURCE, '--single-codec']);
  const viewer = await joinViewer(agent, new Set());
  await sleep(500);
  const sdp = await (await rig.chromium().newPeer()).createOffer();
  const good = encodeBlob({ type: 'offer', sdp }, { keepCodec: isAgentCodec }).text;
  const damaged = good.slice(0, -3) + (good.endsWith('A') ? 'BBB' : 'AAA');
  const cases: [string, string][] = [
    [damaged, 'E_CHECKSUM'],
    [encodeBlob({ type: 'answer', sdp }, { keepCodec: isAgentCodec }).text, 'E_EXPECTED_OFFER'],
    // This agent encodes H.264 only: an offer of VP8 alone cannot carry its video.
    [encodeBlob({ type: 'offer', sdp }, { keepCodec: (c) => c.name.toUpperCase() === 'VP8' }).text, 'E_CODEC_MISMATCH'],
  ];
  for (const [blob, code] of cases) {
    await viewer.send(encodeMessage({ v: 1, type: 'signal', blob }));
    const refused = await expectMessage(viewer, 'error');
    assert.equal(refused.code, code, refused.message);
  }
  // Asked twice at once: one is answered, the other refused as busy.
  await viewer.send(encodeMessage({ v: 1, type: 'signal', blob: good }));
  await viewer.send(encodeMessage({ v: 1, type: 'signal', blob: good }));
  const replies: string[] = [];
  while (replies.length < 2) {
    const message = parseAgentMessage(await viewer.nextMessage(5000));
    if (message.type === 'signal') replies.push('answer');
    if (message.type === 'error') replies.push(message.code);
  }
  assert.deepEqual(replies.sort(), ['E_RESIGNAL_BUSY', 'answer']);
  const before = (await viewer.videoStats()).framesDecoded;
  await sleep(1500);
  assert.ok((await viewer.videoStats()).framesDecoded > before + 30, 'video continues on the old connection');
  assert.equal((await expectMessage(viewer, 'telemetry')).viewers, 1);
  assert.equal(agent.events.filter((e) => e.type === 'reconnected').length, 0);
  await agent.stop();
});
