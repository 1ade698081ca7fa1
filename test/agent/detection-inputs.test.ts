// --detections from Hailo's own outputs and from the Python helper, with the real agent, a real
// pyzmq publisher, real Python and a Chromium viewer on the data channel (issue 22).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, writeFileSync, writeSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAgentMessage, type AgentMessage, type Box } from '../../src/signal/index.ts';
import { type AgentProcess, agentRig, type BrowserPeer, eventually, HailoApp, type HailoAppRate, joinChromiumViewer } from '../harness/index.ts';

const rig = agentRig();
const SOURCE = ['--source', 'test', '--stats-interval', '0'];
const dir = mkdtempSync(join(tmpdir(), 'pigeon-detection-inputs-'));
const FIXTURES = new URL('../fixtures/hailo/', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';
const children: ChildProcess[] = [];
after(() => children.forEach((child) => child.kill('SIGKILL')));

const joinViewer = (agent: AgentProcess): Promise<BrowserPeer> => joinChromiumViewer(agent, rig.chromium());

type Detections = Extract<AgentMessage, { type: 'detections' }>;

/** The next detections message whose boxes satisfy `where`, within `timeoutMs`. */
async function expectBoxes(viewer: BrowserPeer, where: (boxes: Box[]) => boolean, timeoutMs = 15_000): Promise<Detections> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const message = parseAgentMessage(await viewer.nextMessage(Math.max(1, until - Date.now())));
    if (message.type === 'detections' && where(message.boxes)) return message;
  }
}

/** A child Python process; its stdout lines as they come. */
function python(args: string[]): { child: ChildProcess; lines: string[] } {
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  return { child, lines };
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await gone;
}

/** What hailoexportfile does for one frame (gsthailoexportfile.cpp): onto the `]`, a `,` unless first, the entry pretty-printed, `]` — in two writes, so a reader can see it half done. */
async function exportFrame(path: string, entry: unknown): Promise<void> {
  const fd = openSync(path, 'r+');
  try {
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    const { size } = fstatSync(fd);
    const text = Buffer.from(`${head.toString() === '[]' ? '' : ','}${JSON.stringify(entry, null, 4)}]`);
    const half = Math.floor(text.length / 2);
    writeSync(fd, text, 0, half, size - 1);
    await sleep(5);
    writeSync(fd, text, half, text.length - half, size - 1 + half);
  } finally {
    closeSync(fd);
  }
}

const roi = (label: string, offset: number, trackId: number): unknown => ({
  HailoROI: {
    HailoBBox: { xmin: 0, ymin: 0, width: 1, height: 1 },
    SubObjects: [{ HailoDetection: { label, class_id: 2, confidence: 0.75, HailoBBox: { xmin: 0.1, ymin: 0.2, width: 0.3, height: 0.4 }, SubObjects: [{ HailoUniqueID: { unique_id: trackId, mode: 1 } }] } }],
  },
  'timestamp (ms)': Date.now(),
  buffer_offset: offset,
  stream_id: 'sink_0',
});

test('hailoexportfile output is followed as it grows (frames already in it are not sent), and again from its start when the run starts over', async () => {
  const file = join(dir, 'hailo_meta.json');
  writeFileSync(file, '[]');
  await exportFrame(file, roi('stale', 0, 1));
  const agent = rig.startAgent(['offer', ...SOURCE, '--detections', file]);
  const viewer = await joinViewer(agent);
  let offset = 1;
  let label = 'person';
  const writer = setInterval(() => void exportFrame(file, roi(label, offset++, 7)), 100);
  try {
    const got = await expectBoxes(viewer, (boxes) => boxes.length > 0);
    assert.deepEqual(got.boxes, [{ label: 'person', confidence: 0.75, x: 0.1, y: 0.2, w: 0.3, h: 0.4, classId: 2, trackId: 7 }], 'the first set is a new frame, not the stale one');
    // hailoexportfile's start(): the file is written anew as `[]`.
    clearInterval(writer);
    await sleep(200);
    writeFileSync(file, '[]');
    label = 'cat';
    const again = setInterval(() => void exportFrame(file, roi(label, offset++, 8)), 100);
    try {
      const next = await expectBoxes(viewer, (boxes) => boxes[0]?.label === 'cat');
      assert.equal(next.boxes[0]?.trackId, 8);
    } finally {
      clearInterval(again);
    }
    assert.equal(agent.events.filter((e) => e.type === 'refused').length, 0, 'nothing skipped');
  } finally {
    clearInterval(writer);
    await agent.stop();
  }
});

test('a pyzmq publisher (hailoexportzmq stand-in) on ipc://: boxes with tracking ids and sub-labels; broken messages skipped with a reason; a restarted publisher is picked up', async (t) => {
  const endpoint = `ipc://${join(dir, 'hailo.ipc')}`;
  let publisher = python([join(FIXTURES, 'zmq-publisher.py'), endpoint, '20']);
  const agent = rig.startAgent(['offer', ...SOURCE, '--detections', `zmq:${endpoint}`]);
  try {
    const viewer = await joinViewer(agent);
    const tracked = await expectBoxes(viewer, (boxes) => boxes.some((b) => b.trackId === 7));
    assert.deepEqual(tracked.boxes[0], { label: 'person', confidence: 0.872345, x: 0.410278, y: 0.219849, w: 0.120117, h: 0.480469, classId: 1, trackId: 7 });
    const cascade = await expectBoxes(viewer, (boxes) => boxes.some((b) => b.label === 'face'));
    assert.deepEqual(cascade.boxes.map((b) => [b.label, b.trackId, b.sublabel]), [
      ['person', 3, 'adult'],
      ['face', undefined, 'smiling'],
    ]);
    const refused = await agent.next('refused', { where: (e) => e.code === 'E_DETECTIONS' });
    assert.match(refused.reason, /not JSON/);

    await stopped(publisher.child);
    await sleep(1000);
    publisher = python([join(FIXTURES, 'zmq-publisher.py'), endpoint, '20']);
    await eventually(() => publisher.lines.length, (n) => n > 0, 10_000);
    const back = Date.now();
    await expectBoxes(viewer, (boxes) => boxes.some((b) => b.trackId === 7));
    t.diagnostic(`zmq publisher restarted: boxes again ${Date.now() - back} ms after it bound`);
  } finally {
    await stopped(publisher.child);
    await agent.stop();
  }
});

interface HelperReport {
  calls: number;
  sent: number;
  dropped: number;
  meanUs: number;
  maxUs: number;
  sentMeanUs?: number;
  droppedMeanUs?: number;
}

const meanOf = (values: (number | undefined)[]): number => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.reduce((sum, v) => sum + v, 0) / Math.max(1, known.length);
};

test('the Python helper on a unix socket: never blocks while the agent is absent, stopped or back; its boxes reach the viewer', async (t) => {
  const socket = join(dir, 'detections.sock');
  const FPS = 30;
  const helper = python([join(FIXTURES, 'helper-driver.py'), socket, String(FPS), 'hailo']);
  const reports = (): HelperReport[] => helper.lines.map((line) => JSON.parse(line) as HelperReport);
  try {
    // No agent yet: every frame dropped, none waits.
    const absent = await eventually(reports, (r) => r.length >= 3, 15_000);
    assert.ok(absent.at(-1)!.dropped === absent.at(-1)!.calls && absent.at(-1)!.sent === 0, JSON.stringify(absent.at(-1)));
    let agent = rig.startAgent(['offer', ...SOURCE, '--detections', `unix:${socket}`]);
    let viewer = await joinViewer(agent);
    const got = await expectBoxes(viewer, (boxes) => boxes.length > 0);
    assert.deepEqual(got.boxes[0], { label: 'person', confidence: 0.9, x: got.boxes[0]!.x, y: 0.1, w: 0.3, h: 0.6, classId: 1, trackId: 9, sublabel: 'adult' });
    const connected = await eventually(() => reports().at(-1)!, (r) => r.sent > 0, 5000);
    assert.ok(connected.sent > 0, JSON.stringify(connected));

    // The agent stops: the helper goes on at its rate, dropping.
    await agent.stop();
    const at = reports().length;
    const away = await eventually(reports, (r) => r.length >= at + 3, 15_000);
    const during = away.slice(at);
    const rate = (during.at(-1)!.calls - during[0]!.calls) / (during.length - 1);
    assert.ok(rate > FPS * 0.8, `calls a second with the agent stopped: ${rate}`);
    assert.ok(during.at(-1)!.dropped > during[0]!.dropped, 'frames dropped while away');

    agent = rig.startAgent(['offer', ...SOURCE, '--detections', `unix:${socket}`]);
    viewer = await joinViewer(agent);
    await expectBoxes(viewer, (boxes) => boxes.length > 0);
    await agent.stop();
    const all = reports();
    const worst = Math.max(...all.map((r) => r.maxUs));
    const sending = meanOf(all.map((r) => r.sentMeanUs));
    const dropping = meanOf(all.map((r) => r.droppedMeanUs));
    t.diagnostic(
      `helper send(): ${sending.toFixed(0)} us a frame sent, ${dropping.toFixed(0)} us a frame dropped, ${worst.toFixed(0)} us at worst, over ${all.at(-1)!.calls} frames (${all.at(-1)!.dropped} dropped while the agent was away)`,
    );
    // A blocking send would wait on the agent for as long as it is away (seconds); a loaded machine may take a few ms.
    assert.ok(worst < 100_000, `the slowest call took ${worst} us`);
  } finally {
    await stopped(helper.child);
  }
});

test('a GStreamer app (python3-gi) sending through the helper: boxes reach the viewer; the agent stopped for 10 s does not slow its pipeline; back, it picks up again', async (t) => {
  const socket = join(dir, 'app.sock');
  let agent = rig.startAgent(['offer', ...SOURCE, '--detections', `unix:${socket}`]);
  const app = new HailoApp({ unix: socket });
  const rate = (window: HailoAppRate[]): number => window.reduce((sum, r) => sum + r.fps, 0) / window.length;
  try {
    await app.started();
    let viewer = await joinViewer(agent);
    const got = await expectBoxes(viewer, (boxes) => /^frame \d+$/.test(boxes[0]?.label ?? ''));
    assert.equal(got.boxes[0]?.trackId, 1);
    // Its first second may be short (the pipeline starting): judge whole seconds after it.
    const settled = await eventually(() => app.rates, (r) => r.length >= 4 && r.at(-1)!.sent > 0, 20_000);
    const before = rate(settled.slice(1));

    await agent.stop();
    const from = app.rates.length;
    const away = (await eventually(() => app.rates, (r) => r.length >= from + 10, 20_000)).slice(from, from + 10);
    const during = rate(away);
    t.diagnostic(`pipeline: ${before.toFixed(1)} frames/s before, ${during.toFixed(1)} with the agent stopped 10 s; ${away.at(-1)!.dropped - away[0]!.dropped} frames' sets dropped, slowest send() ${Math.max(...away.map((r) => r.worstUs)).toFixed(0)} us`);
    assert.ok(Math.abs(during - before) <= before * 0.1, `frame rate ${before} -> ${during}`);
    assert.ok(away.at(-1)!.dropped > away[0]!.dropped, 'sets dropped while the agent was away');

    agent = rig.startAgent(['offer', ...SOURCE, '--detections', `unix:${socket}`]);
    viewer = await joinViewer(agent);
    await expectBoxes(viewer, (boxes) => /^frame \d+$/.test(boxes[0]?.label ?? ''));
  } finally {
    await app.stop();
    await agent.stop();
  }
});
