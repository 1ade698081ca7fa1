/**
 * The frame clock against real GStreamer: the agent's own `--source shm` pipeline (pipeline-spec,
 * gst-launch -v, x264, rtph264pay) fed by a stand-in hailo-apps app (hailo-app.py), measured:
 *
 * - every RTP timestamp the payloader sends is the PTS the frame tap printed for a frame, at
 *   90 kHz (timestamp-offset=0), so the tap's lines name the encoder's frames;
 * - a set the app's callback labelled with its wall time lands on its own frame: frames cannot
 *   be reordered, so a set on its own frame keeps the same distance (tap frame index minus the
 *   app's frame number) as every other; the share of sets at the usual distance is the figure.
 *   (The frame's identity is inferred from order here, not read off its pixels.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { FrameClock } from '../../pi-agent/src/frame-clock.ts';
import { buildPipeline } from '../../pi-agent/src/pipeline-spec.ts';
import { Pipeline } from '../../pi-agent/src/pipeline.ts';
import { RtpIn } from '../../pi-agent/src/rtp-in.ts';
import { HailoApp, eventually } from '../harness/index.ts';
import { TEST_OPTIONS } from '../pipeline/options.ts';

const SETS = 200;

test('shm source: RTP timestamps are the frame tap\'s PTS, and sets by wall time land on their own frame', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-frame-clock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const shm = join(dir, 'app.shm');
  const fifo = join(dir, 'detections.fifo');
  execFileSync('mkfifo', [fifo]);

  const app = new HailoApp({ shm, fifo });
  t.after(() => app.stop());
  await app.started();

  const rtp = await RtpIn.open();
  t.after(() => rtp.close());
  const sent = new Set<number>();
  rtp.on('packet', (packet) => sent.add(packet.readUInt32BE(4)));

  const clock = new FrameClock({ offsets: true });
  /** RTP timestamp of the tap's k-th frame, in order. */
  const tapped: number[] = [];
  clock.on('frame', () => {
    for (let rtpTs = clock.rtpTimestamp({ offset: tapped.length }); rtpTs !== undefined; rtpTs = clock.rtpTimestamp({ offset: tapped.length })) tapped.push(rtpTs);
  });
  const spec = buildPipeline({ ...TEST_OPTIONS, source: 'shm', shm: { socketPath: shm }, width: 320, height: 240, rtpPort: rtp.rtpPort, rtcpPort: rtp.rtcpPort, rtcpInPort: rtp.rtcpInPort });
  const pipeline = new Pipeline(spec, { restart: false });
  pipeline.on('output', (stream, line) => stream === 'stdout' && clock.line(line));
  t.after(() => pipeline.stop());
  await pipeline.start();

  // The app's sets, from the moment the agent's pipeline plays (earlier frames never reached it).
  const from = Date.now() + 500;
  const sets: { frame: number; rtp: number | undefined }[] = [];
  const lines = createInterface({ input: createReadStream(fifo) });
  lines.on('line', (line) => {
    const set = JSON.parse(line) as { frame: number; wallMs: number };
    if (set.wallMs < from || sets.length >= SETS) return;
    const entry: { frame: number; rtp: number | undefined } = { frame: set.frame, rtp: undefined };
    sets.push(entry);
    clock.whenKnown({ wallMs: set.wallMs }, (rtpTs) => (entry.rtp = rtpTs));
  });
  t.after(() => lines.close());
  const done = await eventually(() => sets.length >= SETS && tapped.length > 0 && sets.every((s) => s.rtp !== undefined) , (ok) => ok, 40_000);
  // Let the last sets' waits (300 ms at most) end.
  await new Promise((resolve) => setTimeout(resolve, 400));
  await pipeline.stop();

  const tapSet = new Set(tapped);
  const onTap = [...sent].filter((ts) => tapSet.has(ts)).length;
  const indexOf = new Map(tapped.map((ts, k) => [ts, k]));
  const distances = sets.filter((s) => s.rtp !== undefined && indexOf.has(s.rtp)).map((s) => indexOf.get(s.rtp!)! - s.frame);
  const counts = new Map<number, number>();
  for (const d of distances) counts.set(d, (counts.get(d) ?? 0) + 1);
  const [usual, most] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
  const share = most / sets.length;
  const callbackUs = app.rates.map((r) => r.callbackUs).filter((us) => us > 0);
  console.log(
    `frame clock: ${onTap}/${sent.size} RTP timestamps are tap PTS at 90 kHz; ${tapped.length} frames tapped; ` +
      `${most}/${sets.length} sets (${(share * 100).toFixed(1)} %) on their own frame (distance ${usual}; others ${JSON.stringify([...counts].filter(([d]) => d !== usual))}); ` +
      `app callback ${callbackUs.length ? (callbackUs.reduce((a, b) => a + b, 0) / callbackUs.length).toFixed(0) : '?'} µs/frame`,
  );
  assert.ok(done, `every set was mapped: ${sets.filter((s) => s.rtp === undefined).length} of ${sets.length} were not`);
  assert.ok(sent.size > 50, `the encoder sent frames: ${sent.size}`);
  assert.equal(onTap, sent.size, 'every RTP timestamp is a tapped frame\'s PTS at 90 kHz');
  assert.ok(share >= 0.99, `at least 99 % of sets on their own frame: ${(share * 100).toFixed(1)} %`);
});
