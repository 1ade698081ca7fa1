/**
 * Pipeline with the real gst-launch-1.0 on videotestsrc: RTP reaches the agent's port, a PLI
 * sent to rtcpInPort makes the encoder emit a keyframe, a killed child comes back, stop() ends it.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Pipeline, type PipelineRunOptions } from '../../pi-agent/src/gst/pipeline.ts';
import { buildPipeline, isPipelineError, type PipelineOptions } from '../../pi-agent/src/gst/pipeline-spec.ts';
import { alive, freePort, isH264Keyframe, isVp8Keyframe, parseRtp, receiver, rtcpPli, rtcpReceiverReport, sleep, type Receiver } from './rtp.ts';
import { TEST_OPTIONS } from './options.ts';

const SSRC = 0x5eed1234;
const VIEWER_SSRC = 0x0bad0001;
const BASE: PipelineOptions = { ...TEST_OPTIONS, rtpPort: 0, rtcpPort: 0, rtcpInPort: 0, ssrc: SSRC };

interface Rig {
  pipeline: Pipeline;
  rtp: Receiver;
  rtcp: Receiver;
  rtcpInPort: number;
  /** Sends RTCP to gst's udpsrc, as the agent does for a viewer. */
  sendRtcp(packet: Buffer): void;
}

async function rig(t: TestContext, options: Partial<PipelineOptions> = {}, run: PipelineRunOptions = {}): Promise<Rig> {
  const rtp = await receiver();
  const rtcp = await receiver();
  const rtcpInPort = await freePort();
  const spec = buildPipeline({ ...BASE, ...options, rtpPort: rtp.port, rtcpPort: rtcp.port, rtcpInPort });
  const pipeline = new Pipeline(spec, run);
  t.after(async () => {
    await pipeline.stop();
    await rtp.close();
    await rtcp.close();
  });
  return { pipeline, rtp, rtcp, rtcpInPort, sendRtcp: (packet) => rtcp.socket.send(packet, rtcpInPort, '127.0.0.1') };
}

/** Distinct RTP timestamps (frames) among the packets that arrived in [from, to). */
/**
 * The stream's frame rate by its own clock: the median step between consecutive frames' RTP
 * timestamps (90 kHz) once `frames` frames came. No load on this machine changes it: a starved
 * encoder drops frames, and the gaps it leaves are multiples of the step.
 */
async function frameStep(rx: Receiver, frames = 20): Promise<number> {
  const stamps = (): number[] => [...new Set(rx.packets.map((p) => parseRtp(p).timestamp))];
  await rx.waitFor(() => stamps().length >= frames, 20_000, 0);
  const all = stamps();
  const steps = all.slice(1).map((stamp, i) => (stamp - all[i]! + 2 ** 32) % 2 ** 32).sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)]!;
}

/** Milliseconds from sending `packet` to the first keyframe packet after it; rejects after timeoutMs. */
async function keyframeDelay(r: Rig, packet: Buffer, isKeyframe: (payload: Buffer) => boolean, timeoutMs = 5000): Promise<number> {
  const from = r.rtp.packets.length;
  const sentAt = Date.now();
  r.sendRtcp(packet);
  const { at } = await r.rtp.waitFor((p) => isKeyframe(parseRtp(p).payload), timeoutMs, from);
  return at - sentAt;
}

function keyframesSince(rx: Receiver, from: number, isKeyframe: (payload: Buffer) => boolean): number {
  return rx.packets.slice(from).filter((p) => isKeyframe(parseRtp(p).payload)).length;
}

/** /proc/<pid>/stat utime + stime, in clock ticks (100 per second on Linux). */
async function cpuTicks(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

test('test + x264 640×480@30: RTP with our PT and SSRC at the frame rate, sender reports, stop() ends the child', async (t) => {
  const r = await rig(t);
  const started: number[] = [];
  r.pipeline.on('started', (pid) => started.push(pid));
  await r.pipeline.start();
  const pid = r.pipeline.pid!;
  assert.deepEqual(started, [pid]);
  assert.equal(r.pipeline.state, 'running');

  await r.rtp.waitFor(() => true, 3000);
  const ticks = await cpuTicks(pid);
  await sleep(2000);
  const packets = r.rtp.packets.map((p, i) => parseRtp(p, r.rtp.arrivals[i]));
  assert.ok(packets.every((p) => p.payloadType === 96 && p.ssrc === SSRC));
  const step = await frameStep(r.rtp);
  assert.ok(Math.abs(step - 3000) <= 30, `frames ${step} RTP ticks apart (30 fps is 3000 at 90 kHz)`);
  const span = ((packets.at(-1)!.timestamp - packets[0]!.timestamp) >>> 0) / 90_000;
  assert.ok(Math.abs(span - (packets.at(-1)!.at - packets[0]!.at) / 1000) < 0.2, 'RTP timestamps run on a 90 kHz clock in real time');
  t.diagnostic(`gst-launch CPU: ${(await cpuTicks(pid)) - ticks} of 200 ticks (2 s), ${packets.length} packets, ${r.rtp.packets.reduce((n, p) => n + p.length, 0)} bytes`);

  // Sender reports (PT 200) from the payloader's SSRC reach rtcpPort, the first after ~1 s.
  const sr = await r.rtcp.waitFor((p) => p[1] === 200 && p.readUInt32BE(4) === SSRC, 5000);
  assert.ok(sr.packet.length >= 28);

  const exited = new Promise<unknown[]>((resolve) => r.pipeline.once('exit', (...args) => resolve(args)));
  const stopAt = Date.now();
  await r.pipeline.stop();
  t.diagnostic(`stop() took ${Date.now() - stopAt} ms`);
  assert.deepEqual((await exited).slice(0, 2), [0, null], 'SIGINT: gst-launch sets the pipeline to NULL and exits 0');
  assert.equal(alive(pid), false);
  assert.equal(r.pipeline.pid, undefined);
  assert.equal(r.pipeline.state, 'stopped');
});

test('keyframe on join (H.264): a PLI to rtcpInPort brings an IDR at once, with keyframes otherwise 10 s apart', async (t) => {
  const r = await rig(t);
  await r.pipeline.start();
  const first = await r.rtp.waitFor(() => true, 3000);
  await sleep(2500);
  const quietFrom = r.rtp.arrivals.findIndex((at) => at > first.at + 500);
  assert.equal(keyframesSince(r.rtp, quietFrom, isH264Keyframe), 0, 'no keyframe in 2 s without a PLI');

  // A bare PLI, media SSRC = the payloader's, from a sender gst has never heard of.
  const bare = await keyframeDelay(r, rtcpPli(VIEWER_SSRC, SSRC), isH264Keyframe);
  // Usually 30-100 ms; the periodic keyframe is 10 s away, so 2 s tells them apart on a loaded machine.
  assert.ok(bare < 2000, `IDR ${bare} ms after the PLI`);
  await sleep(700);
  // What a browser sends: a compound RTCP packet, receiver report first.
  const compound = await keyframeDelay(r, Buffer.concat([rtcpReceiverReport(VIEWER_SSRC), rtcpPli(VIEWER_SSRC, SSRC)]), isH264Keyframe);
  assert.ok(compound < 2000, `IDR ${compound} ms after the RR+PLI`);
  t.diagnostic(`IDR after PLI: ${bare} ms (bare PLI), ${compound} ms (RR+PLI)`);

  // A PLI for some other SSRC is not ours to answer.
  await sleep(700);
  const before = r.rtp.packets.length;
  r.sendRtcp(rtcpPli(VIEWER_SSRC, SSRC ^ 1));
  await sleep(700);
  assert.equal(keyframesSince(r.rtp, before, isH264Keyframe), 0, 'a PLI for another SSRC is ignored');
});

test('VP8: RTP with our PT and SSRC, and a PLI brings a key frame at once', async (t) => {
  const r = await rig(t, { encoder: 'vp8', payloadType: 100 });
  await r.pipeline.start();
  const first = await r.rtp.waitFor(() => true, 3000);
  assert.ok(isVp8Keyframe(parseRtp(first.packet).payload), 'the stream starts with a key frame');
  await sleep(2000);
  const packets = r.rtp.packets.map((p) => parseRtp(p));
  assert.ok(packets.every((p) => p.payloadType === 100 && p.ssrc === SSRC));
  const step = await frameStep(r.rtp);
  assert.ok(Math.abs(step - 3000) <= 30, `frames ${step} RTP ticks apart (30 fps is 3000 at 90 kHz)`);
  const quietFrom = r.rtp.arrivals.findIndex((at) => at > first.at + 500);
  assert.equal(keyframesSince(r.rtp, quietFrom, isVp8Keyframe), 0, 'no key frame without a PLI');

  const delay = await keyframeDelay(r, Buffer.concat([rtcpReceiverReport(VIEWER_SSRC), rtcpPli(VIEWER_SSRC, SSRC)]), isVp8Keyframe);
  assert.ok(delay < 2000, `key frame ${delay} ms after the PLI (the next periodic one is 10 s away)`);
  t.diagnostic(`VP8 key frame after PLI: ${delay} ms`);
});

test('kill -9 mid-stream: the pipeline restarts and RTP resumes on the same port', async (t) => {
  const r = await rig(t, {}, { restart: { initialMs: 200, maxMs: 2000 } });
  const events: string[] = [];
  r.pipeline.on('exit', (code, signal) => events.push(`exit ${code} ${signal}`));
  r.pipeline.on('restarting', (attempt, delayMs) => events.push(`restarting ${attempt} ${delayMs}`));
  r.pipeline.on('started', () => events.push('started'));
  await r.pipeline.start();
  await r.rtp.waitFor(() => true, 3000);
  const oldPid = r.pipeline.pid!;

  const restarted = new Promise<number>((resolve) => r.pipeline.once('started', resolve));
  process.kill(oldPid, 'SIGKILL');
  const killedAt = Date.now();
  await sleep(100);
  const from = r.rtp.packets.length;
  const resumed = await r.rtp.waitFor((p) => parseRtp(p).ssrc === SSRC, 5000, from);
  t.diagnostic(`RTP resumed ${resumed.at - killedAt} ms after the kill`);
  assert.ok(resumed.at - killedAt < 3000);
  assert.ok(isH264Keyframe(parseRtp(resumed.packet).payload), 'the new encoder starts with a keyframe');
  assert.equal(await restarted, r.pipeline.pid);
  assert.deepEqual(events, ['started', 'exit null SIGKILL', 'restarting 1 200', 'started']);
  assert.notEqual(r.pipeline.pid, oldPid);
  assert.equal(alive(oldPid), false);
  assert.equal(r.pipeline.state, 'running');

  const pid = r.pipeline.pid!;
  await r.pipeline.stop();
  assert.equal(alive(pid), false);
});

test('a custom source (quoted property, other format and rate) is converted to the stream size and rate', async (t) => {
  const r = await rig(t, {
    source: 'custom',
    custom: 'videotestsrc is-live=true name="pigeon custom src" pattern=smpte ! video/x-raw,format=NV12,width=320,height=240,framerate=15/1',
  });
  await r.pipeline.start();
  await r.rtp.waitFor(() => true, 3000);
  const step = await frameStep(r.rtp);
  assert.ok(Math.abs(step - 3000) <= 30, `frames ${step} RTP ticks apart: videorate makes 15 fps into 30 (15 fps would be 6000)`);
});

test('gst-launch refusing the pipeline: start() rejects with E_GST_EXIT and gst-launch\'s own message', async (t) => {
  const r = await rig(t, { source: 'custom', custom: 'videotestsrc bogus-property=1' });
  await assert.rejects(r.pipeline.start(), (error: unknown) => {
    assert.ok(isPipelineError(error), String(error));
    assert.equal(error.code, 'E_GST_EXIT');
    assert.match(error.message, /exited with code 1 before the pipeline was playing: WARNING: erroneous pipeline: no property "bogus-property" in element "videotestsrc"/);
    assert.match(error.stderr ?? '', /bogus-property/);
    return true;
  });
  assert.equal(r.pipeline.pid, undefined);
});
