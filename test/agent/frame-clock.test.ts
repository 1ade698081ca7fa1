/**
 * The frame clock against real GStreamer: the agent's own `--source shm` pipeline (pipeline-spec,
 * gst-launch -v, x264, rtph264pay) fed by the stand-in hailo-apps app (hailo-app.py), whose
 * callback sends each frame's set through Pigeon's helper (wall time and frame count), measured:
 *
 * - every RTP timestamp the payloader sends is the PTS the frame tap printed for a frame, at
 *   90 kHz (timestamp-offset=0), so the tap's lines name the encoder's frames;
 * - a set lands on its own frame: frames cannot be reordered, so a set on its own frame keeps the
 *   same distance (tap frame index minus the app's frame number) as every other; the share of
 *   sets at the usual distance is the figure, with the producer's count and, as the reference in
 *   the same run, by wall time alone. (The frame's identity is inferred from order here; the
 *   page reads it off the picture in test/web/alignment.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { FrameClock, rtpOfPts } from '../../pi-agent/src/detections/frame-clock.ts';
import { buildPipeline } from '../../pi-agent/src/gst/pipeline-spec.ts';
import { Pipeline } from '../../pi-agent/src/gst/pipeline.ts';
import { RtpIn } from '../../pi-agent/src/rtp/rtp-in.ts';
import { HailoApp, eventually } from '../harness/index.ts';
import { TEST_OPTIONS } from '../pipeline/options.ts';

const SETS = 200;

interface Mapped {
  frame: number;
  rtp: number | undefined;
}

/** The share of sets at the most common distance from their frame, and the others' distances. */
function onOwnFrame(sets: Mapped[], indexOf: Map<number, number>): { share: number; most: number; usual: number; others: [number, number][] } {
  const counts = new Map<number, number>();
  for (const s of sets) {
    const index = s.rtp === undefined ? undefined : indexOf.get(s.rtp);
    if (index !== undefined) counts.set(index - s.frame, (counts.get(index - s.frame) ?? 0) + 1);
  }
  const [usual, most] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
  return { share: most / sets.length, most, usual, others: [...counts].filter(([d]) => d !== usual) };
}

test('shm source: RTP timestamps are the frame tap\'s PTS, and sets by wall time and frame count land on their own frame', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-frame-clock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const shm = join(dir, 'app.shm');
  const unix = join(dir, 'detections.sock');
  // The agent's side of the helper's socket, here: lines straight to the clocks under test.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(unix, resolve));
  t.after(() => server.close());

  // The app's sets, from the moment the agent's pipeline plays (earlier frames never reached it);
  // the helper may connect before that.
  let from = Infinity;
  const counted: Mapped[] = [];
  const walled: Mapped[] = [];
  server.on('connection', (socket) => {
    createInterface({ input: socket }).on('line', (line) => {
      const set = JSON.parse(line) as { offset: number; wallMs: number };
      if (set.wallMs < from || counted.length >= SETS) return;
      const a: Mapped = { frame: set.offset, rtp: undefined };
      const b: Mapped = { frame: set.offset, rtp: undefined };
      counted.push(a);
      walled.push(b);
      byCount.whenKnown({ wallMs: set.wallMs, offset: set.offset }, (rtpTs) => (a.rtp = rtpTs));
      byWall.whenKnown({ wallMs: set.wallMs }, (rtpTs) => (b.rtp = rtpTs));
    });
  });
  const app = new HailoApp({ unix, shm });
  t.after(() => app.stop());
  await app.started();

  const rtp = await RtpIn.open();
  t.after(() => rtp.close());
  const sent = new Set<number>();
  rtp.on('packet', (packet) => sent.add(packet.readUInt32BE(4)));

  const clock = new FrameClock({ offsets: 'pipeline' });
  const byCount = new FrameClock({ offsets: 'producer' });
  const byWall = new FrameClock({ offsets: 'producer' });
  /** RTP timestamp of the tap's k-th frame, in order. */
  const tapped: number[] = [];
  clock.on('frame', () => {
    for (let rtpTs = clock.rtpTimestamp({ offset: tapped.length }); rtpTs !== undefined; rtpTs = clock.rtpTimestamp({ offset: tapped.length })) tapped.push(rtpTs);
  });
  const spec = buildPipeline({ ...TEST_OPTIONS, source: 'shm', shm: { socketPath: shm }, width: 320, height: 240, rtpPort: rtp.rtpPort, rtcpPort: rtp.rtcpPort, rtcpInPort: rtp.rtcpInPort });
  const pipeline = new Pipeline(spec, { restart: false });
  pipeline.on('output', (stream, line) => {
    if (stream !== 'stdout') return;
    const seen = process.hrtime.bigint();
    for (const c of [clock, byCount, byWall]) c.line(line, seen);
  });
  t.after(() => pipeline.stop());
  await pipeline.start();

  from = Date.now() + 500;
  const mapped = (sets: Mapped[]): boolean => sets.length >= SETS && sets.every((s) => s.rtp !== undefined);
  const done = await eventually(() => mapped(counted) && mapped(walled) && tapped.length > 0, (ok) => ok, 40_000);
  // Let the last sets' waits (300 ms at most) end.
  await new Promise((resolve) => setTimeout(resolve, 400));
  await pipeline.stop();

  const tapSet = new Set(tapped);
  const onTap = [...sent].filter((ts) => tapSet.has(ts)).length;
  const indexOf = new Map(tapped.map((ts, k) => [ts, k]));
  const counts = onOwnFrame(counted, indexOf);
  const wall = onOwnFrame(walled, indexOf);
  const callbackUs = app.rates.map((r) => r.callbackUs).filter((us) => us > 0);
  console.log(
    `frame clock: ${onTap}/${sent.size} RTP timestamps are tap PTS at 90 kHz; ${tapped.length} frames tapped; ` +
      `with the app's frame count ${counts.most}/${counted.length} sets (${(counts.share * 100).toFixed(1)} %) on their own frame (distance ${counts.usual}; others ${JSON.stringify(counts.others)}); ` +
      `by wall time alone ${wall.most}/${walled.length} (${(wall.share * 100).toFixed(1)} %, others ${JSON.stringify(wall.others)}); ` +
      `app callback ${callbackUs.length ? (callbackUs.reduce((a, b) => a + b, 0) / callbackUs.length).toFixed(0) : '?'} µs/frame`,
  );
  assert.ok(done, `every set was mapped: ${counted.filter((s) => s.rtp === undefined).length} of ${counted.length} were not`);
  assert.ok(sent.size > 50, `the encoder sent frames: ${sent.size}`);
  assert.equal(onTap, sent.size, 'every RTP timestamp is a tapped frame\'s PTS at 90 kHz');
  assert.ok(counts.share >= 0.99, `at least 99 % of sets on their own frame: ${(counts.share * 100).toFixed(1)} %`);
});

/** A frame tap's line as gst-launch -v prints it, for a frame with this PTS (ns). */
function tapLine(ptsNs: bigint): string {
  const ns = ptsNs % 1_000_000_000n;
  const seconds = ptsNs / 1_000_000_000n;
  const time = `${seconds / 3600n}:${String((seconds / 60n) % 60n).padStart(2, '0')}:${String(seconds % 60n).padStart(2, '0')}.${String(ns).padStart(9, '0')}`;
  return `/GstPipeline:pipeline0/GstIdentity:pigeon_frames: last-message = chain   ******* (pigeon_frames:sink) (230400 bytes, dts: none, pts: ${time}, duration: 0:00:00.033333333, offset: -1, offset_end: -1, flags: 00000040 , meta: none) 0x7f0000000000`;
}

test('a burst and a lost frame: the producer\'s count names the frame wall time alone misses, and a lost frame does not shift the sets after it', () => {
  const FRAME_NS = 33_333_333n;
  const monoNow = process.hrtime.bigint();
  const wallNow = Date.now();
  // Monotonic ns at running time 0, and a wall time (ms) for a monotonic one, as the app's clock reads.
  const base = monoNow - 10_000_000_000n;
  const wallOf = (mono: bigint): number => wallNow + Number(mono - monoNow) / 1e6;
  // The app's callbacks, a frame interval apart, ending a second ago; its count starts at 100.
  const callback = (k: number): bigint => monoNow - 1_000_000_000n + BigInt(k) * FRAME_NS;
  // Frames arrive a millisecond after their callback; frame 4 is held back and comes in one burst
  // with frame 5; frame 7 is lost on the way (the app's leaky queue).
  const arrival = (k: number): bigint | undefined => (k === 7 ? undefined : k === 4 ? callback(5) + 1_000_000n : callback(k) + (k === 5 ? 1_500_000n : 1_000_000n));
  const byCount = new FrameClock({ offsets: 'producer' });
  const byWall = new FrameClock({ offsets: 'producer' });
  const rtpOf = new Map<number, number>();
  for (let k = 0; k < 12; k++) {
    const at = arrival(k);
    if (at === undefined) continue;
    rtpOf.set(k, rtpOfPts(at - base));
    for (const clock of [byCount, byWall]) clock.line(tapLine(at - base), at);
  }
  const counted = [...Array(12).keys()].map((k) => byCount.rtpTimestamp({ wallMs: wallOf(callback(k)), offset: 100 + k }));
  const walled = [...Array(12).keys()].map((k) => byWall.rtpTimestamp({ wallMs: wallOf(callback(k)) }));
  const expected = [...Array(12).keys()].map((k) => rtpOf.get(k === 7 ? 8 : k));
  assert.deepEqual(counted, expected, 'with the count: every set on its own frame; the lost frame\'s set on the frame after it');
  assert.equal(walled[5], rtpOf.get(4), 'by wall time alone the set after a held-back frame lands on that frame (the reference)');
});
