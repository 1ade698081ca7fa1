import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { deflateSdp } from '../../src/signal/fallback.ts';
import { encodeFrame } from '../../src/signal/frame.ts';
import { decodeBlob, encodeBlob, isAgentCodec } from '../../src/signal/index.ts';
import { type AgentProcess, agentRig, assertNoStall, type BrowserPeer } from '../harness/index.ts';

/*
 * Bad input while a viewer watches: the real agent (gst-launch-1.0, werift) with headless
 * Chromium playing its video. Each bad input must get exactly one event (a refusal, or "cut
 * short" for each piece of a paste that is not whole yet), and the longest gap between two frames
 * the viewer's decoder delivered around it must stay under 250 ms.
 */
const rig = agentRig();
const BASE = ['--source', 'test', '--width', '640', '--height', '480', '--fps', '30', '--bitrate', '1000', '--stats-interval', '0'];
const dir = mkdtempSync(join(tmpdir(), 'pigeon-bad-input-'));
const answerFile = join(dir, 'answer');

let agent: AgentProcess;
let viewer: BrowserPeer;
/** The offer showing now, which no test may use up except the one that joins a second viewer. */
let live: { offerId: number; text: string };
/** A real answer's SDP, from the first viewer. */
let answerSdp: string;
const gaps: [string, number][] = [];

async function until(what: string, done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

before(async () => {
  agent = rig.startAgent(['offer', ...BASE, '--answer-file', answerFile]);
  // Generous: a loaded 2-core machine has taken over 15 s to start an agent.
  const first = await agent.next('offer', { timeoutMs: 60_000 });
  viewer = await rig.chromium().newPeer();
  answerSdp = await viewer.acceptOffer(decodeBlob(first.text, { expect: 'offer' }).sdp);
  agent.write(encodeBlob({ type: 'answer', sdp: answerSdp }, { offerId: first.offerId }).text);
  await agent.next('viewer-joined');
  live = await agent.next('offer', { where: (e) => e.offerId !== first.offerId });
  await until('video', async () => (await viewer.videoStats()).frames > 30);
});

after(() => {
  console.log(`longest gap between frames (ms): ${JSON.stringify(Object.fromEntries(gaps))}`);
});

/**
 * Runs `act`, then a sentinel line the agent refuses as E_NOT_PIGEON; returns the refusal and
 * cut-short events in between (so "one event each" is checked against a condition, not a wait),
 * after measuring the longest frame gap from the start of `act` to 15 frames past the sentinel.
 */
async function answered(name: string, act: () => Promise<void>): Promise<string[]> {
  const seen = agent.events.length;
  const started = Date.now();
  await act();
  const sentinel = `sentinel ${name}`;
  agent.write(sentinel);
  await agent.next('refused', { after: seen, where: (e) => e.reason.includes('no "pigeon:" prefix') && e.code === 'E_NOT_PIGEON', timeoutMs: 20_000 });
  const frames = (await viewer.videoStats()).frames;
  await until('15 more frames', async () => (await viewer.videoStats()).frames >= frames + 15);
  const windowMs = Date.now() - started + 50;
  const { longestGapMs } = await viewer.videoStats(windowMs);
  gaps.push([name, Math.round(longestGapMs)]);
  await assertNoStall(viewer, name, longestGapMs, windowMs);
  const said = agent.events.slice(seen).flatMap((e) => (e.type === 'refused' ? [e.code] : e.type === 'cut-short' ? [e.type] : []));
  assert.equal(said.at(-1), 'E_NOT_PIGEON');
  return said.slice(0, -1);
}

/** What the latest refusal with this code said. */
function lastReason(code: string): string {
  const reasons = agent.events.flatMap((e) => (e.type === 'refused' && e.code === code ? [e.reason] : []));
  return reasons.at(-1) ?? '';
}

const otherOffer = (): number => (live.offerId + 1) & 0xffff;

test('a 10 MB line in one write: one E_TOO_LARGE saying the limit, the rest skipped unread', async () => {
  const said = await answered('10 MB line', () => agent.writeRaw(`pigeon:${'A'.repeat(10_000_000)}\n`));
  assert.deepEqual(said, ['E_TOO_LARGE']);
  assert.match(lastReason('E_TOO_LARGE'), /over 64 KiB/);
});

test('a 10 MB line in 160 writes of 64 KB, and 5.6 M characters with no prefix: one E_TOO_LARGE each', async () => {
  const said = await answered('10 MB in 160 writes', async () => {
    for (let i = 0; i < 160; i++) await agent.writeRaw('B'.repeat(64_000));
    await agent.writeRaw('\n');
  });
  assert.deepEqual(said, ['E_TOO_LARGE']);
  assert.deepEqual(await answered('5.6 M characters, no prefix', () => agent.writeRaw(`${'A'.repeat(5_600_000)}\n`)), ['E_TOO_LARGE']);
});

test('a paste split over three lines is joined however it arrives: one write, CRLF and spaces, many writes', async () => {
  // A real answer, for an offer that is not showing: whole, it is refused as E_OFFER_UNKNOWN.
  const text = encodeBlob({ type: 'answer', sdp: answerSdp }, { offerId: otherOffer() }).text;
  const pieces = [text.slice(0, 30), text.slice(30, 61), text.slice(61)];
  const expected = ['cut-short', 'cut-short', 'E_OFFER_UNKNOWN'];
  assert.deepEqual(await answered('split paste, one write', () => agent.writeRaw(`${pieces.join('\n')}\n`)), expected);
  assert.deepEqual(await answered('split paste, CRLF and spaces', () => agent.writeRaw(`  ${pieces.join(' \r\n   ')}\r\n`)), expected);
  assert.deepEqual(
    await answered('split paste, a write per byte', async () => {
      for (const byte of Buffer.from(`${pieces.join('\n')}\n`)) {
        await agent.writeRaw(Buffer.from([byte]));
        await nextTurn();
      }
    }),
    expected,
  );
  assert.ok(!agent.stderr.includes('cut short'), '--json puts "cut short" on stdout as an event, not on stderr');
});

test('junk inside a valid frame for the live offer is E_SDP_INVALID, and the offer stays open for a real answer', async () => {
  // A fallback frame with a good checksum, for the offer showing now, around any text at all.
  const framed = (sdp: string): string =>
    `pigeon:${Buffer.from(encodeFrame({ type: 'answer', mode: 'fallback', offerId: live.offerId, payload: deflateSdp(sdp) })).toString('base64url')}`;
  const offerSdp = decodeBlob(live.text).sdp;
  const said = await answered('junk in a valid frame', async () => {
    agent.write(framed('hello, this is not an SDP'));
    // The agent's own offer handed back as the answer: an SDP, but a=setup:active (as the agent offers) and sendonly.
    agent.write(framed(offerSdp));
    agent.write(framed(answerSdp.replace(/a=ice-pwd:.*/, 'a=ice-pwd:short')));
  });
  assert.deepEqual(said, ['E_SDP_INVALID', 'E_SDP_INVALID', 'E_SDP_INVALID']);
  const reasons = agent.events.flatMap((e) => (e.type === 'refused' && e.code === 'E_SDP_INVALID' ? [e.reason] : []));
  assert.match(reasons.join('\n'), /starts "hello, this is not an SD/);
  assert.match(reasons.join('\n'), /an answer must say a=setup:passive, and this one says active/);
  assert.match(reasons.join('\n'), /ICE password has 5 characters/);

  // The same offer is still open: a second viewer answers it and joins.
  const second = await rig.chromium().newPeer();
  const sdp = await second.acceptOffer(offerSdp);
  agent.write(encodeBlob({ type: 'answer', sdp }, { offerId: live.offerId }).text);
  await agent.next('viewer-joined', { where: (e) => e.viewer === live.offerId });
  live = await agent.next('offer', { where: (e) => e.offerId !== live.offerId && e.type === 'offer' });
  await second.close();
});

test('--answer-file over the limit: one E_TOO_LARGE, the file not read', async () => {
  const said = await answered('10 MB --answer-file', async () => {
    writeFileSync(answerFile, `pigeon:${'A'.repeat(10_000_000)}`);
    await agent.next('refused', { after: agent.events.length, where: (e) => e.code === 'E_TOO_LARGE', timeoutMs: 5000 });
  });
  assert.deepEqual(said, ['E_TOO_LARGE']);
  assert.match(lastReason('E_TOO_LARGE'), /answer is over 64 KiB/);
});

test("gst-launch's sockets are bound to loopback only", async () => {
  const started = await agent.next('pipeline', { where: (e) => e.state === 'started' });
  const sockets = execFileSync('ss', ['-uanpH'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(`pid=${started.pid},`));
  assert.ok(sockets.length >= 2, `udp sockets of gst-launch-1.0: ${sockets.join('\n')}`);
  for (const line of sockets) assert.match(line.split(/\s+/)[3] ?? '', /^127\.0\.0\.1:\d+$/, line);
});

test('pi-agent answer: an --offer-file over the limit and junk in a good frame are refused, then a real offer is answered', async () => {
  const offerFile = join(dir, 'offer');
  writeFileSync(offerFile, `pigeon:${'A'.repeat(10_000_000)}`);
  const answering = rig.startAgent(['answer', ...BASE, '--offer-file', offerFile]);
  // Read once the agent is up, which a loaded machine has taken over 15 s to be.
  const tooLarge = await answering.next('refused', { where: (e) => e.code === 'E_TOO_LARGE', timeoutMs: 60_000 });
  assert.match(tooLarge.reason, /offer is over 64 KiB/);
  // A fallback offer whose ICE password is too short to be one.
  const junk = encodeFrame({ type: 'offer', mode: 'fallback', offerId: 9, payload: deflateSdp(decodeBlob(live.text).sdp.replace(/a=ice-pwd:.*/, 'a=ice-pwd:short')) });
  writeFileSync(offerFile, `pigeon:${Buffer.from(junk).toString('base64url')}`);
  const invalid = await answering.next('refused', { where: (e) => e.code === 'E_SDP_INVALID' });
  assert.match(invalid.reason, /ICE password has 5 characters/);
  const browser = await rig.chromium().newPeer();
  writeFileSync(offerFile, encodeBlob({ type: 'offer', sdp: await browser.createOffer() }, { keepCodec: isAgentCodec, offerId: 10 }).text);
  const answer = await answering.next('answer');
  assert.equal(answer.viewer, 10);
  assert.equal(answering.events.filter((e) => e.type === 'refused').length, 2, 'one refusal each');
  await browser.close();
});
