// openDetections() in-process against real sockets and a real pyzmq publisher: every input capped
// (64 KiB a message, E_TOO_LARGE; a flood dropped and counted past the budget, one report), and
// specs that cannot work refused with E_DETECTIONS_SPEC.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Socket } from 'node:net';
import { test } from 'node:test';
import { BUDGET, openDetections, type DetectionSet, type DetectionSource } from '../../pi-agent/src/detections/detection-source.ts';
import { DetectionError } from '../../pi-agent/src/core/errors.ts';
import { MAX_MESSAGE_CHARS, encodeMessage } from '../../src/signal/index.ts';
import { eventually } from '../harness/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'pigeon-detection-source-'));

function collect(source: DetectionSource): { sets: DetectionSet[]; skipped: { what: string; reason: string; code: string }[] } {
  const sets: DetectionSet[] = [];
  const skipped: { what: string; reason: string; code: string }[] = [];
  source.on('set', (set) => sets.push(set));
  source.on('skipped', (what, reason, code) => skipped.push({ what, reason, code }));
  return { sets, skipped };
}

/** A `unix:` source listening in the temp folder, collecting, with one writer connected to it. */
async function unixSource(name: string): Promise<ReturnType<typeof collect> & { source: DetectionSource; writer: Socket }> {
  const path = join(dir, name);
  const source = openDetections(`unix:${path}`);
  const collected = collect(source);
  const ready = new Promise((resolve) => source.input.once('ready', () => resolve(undefined)));
  source.start();
  await ready;
  const writer = createConnection(path);
  await new Promise((resolve) => writer.once('connect', resolve));
  return { ...collected, source, writer };
}

const line = (label: string): string => `${JSON.stringify({ boxes: [{ label, confidence: 0.5, x: 0, y: 0, w: 1, h: 1 }] })}\n`;

test('unix: a line over 64 KiB is skipped as E_TOO_LARGE and the next one is read; a flood past the budget is dropped, counted, reported once', async () => {
  const { source, sets, skipped, writer } = await unixSource('cap.sock');
  try {
    writer.write(`{"boxes":[],"pad":"${'x'.repeat(70 * 1024)}"}\n${line('after')}`);
    await eventually(() => sets.length, (n) => n >= 1, 5000);
    assert.deepEqual(skipped.map((s) => s.code), ['E_TOO_LARGE']);
    assert.equal(sets[0]?.boxes[0]?.label, 'after');

    const flood = 2000;
    writer.write(Array.from({ length: flood }, (_, i) => line(`n${i}`)).join(''));
    await eventually(() => sets.length + source.dropped, (n) => n >= flood + 1, 10_000);
    assert.ok(sets.length - 1 <= BUDGET.burst + 20, `${sets.length - 1} sets passed of ${flood}`);
    assert.equal(sets.length - 1 + source.dropped, flood, 'every message either passed or was counted');
    assert.deepEqual(skipped.slice(1).map((s) => s.code), ['E_DETECTIONS_FLOOD'], 'one report for the flood');
  } finally {
    writer.destroy();
    source.close();
  }
});

test('a set too large for one data-channel message is cut to fit, said once', async () => {
  const { source, sets, skipped, writer } = await unixSource('many.sock');
  try {
    const box = { label: 'a-rather-long-label-for-a-class-'.padEnd(64, 'x'), confidence: 0.123456, x: 0.123456, y: 0.123456, w: 0.123456, h: 0.123456, classId: 79, trackId: 123456, sublabel: 's'.repeat(64) };
    const text = `${JSON.stringify({ boxes: Array.from({ length: 200 }, () => box), rtpTimestamp: 4294967295 })}\n`;
    writer.write(text + text);
    await eventually(() => sets.length, (n) => n >= 2, 5000);
    const message = encodeMessage({ v: 1, type: 'detections', boxes: sets[0]!.boxes, time: Date.now(), rtpTimestamp: 4294967295 });
    assert.ok(message.length <= MAX_MESSAGE_CHARS && sets[0]!.boxes.length > 50 && sets[0]!.boxes.length < 200, `${sets[0]!.boxes.length} boxes, ${message.length} characters`);
    assert.deepEqual(skipped.map((s) => s.code), ['E_TOO_LARGE']);
  } finally {
    writer.destroy();
    source.close();
  }
});

test('zmq: a pyzmq message over 64 KiB is skipped unread as E_TOO_LARGE, the next one arrives', async () => {
  const endpoint = `ipc://${join(dir, 'big.ipc')}`;
  const script = [
    'import sys, time, zmq',
    's = zmq.Context().socket(zmq.PUB); s.bind(sys.argv[1])',
    'while True:',
    '    s.send_string(\'{"boxes":[],"pad":"\' + "x" * 100000 + \'"}\', zmq.NOBLOCK)',
    '    s.send_string(\'{"HailoROI":{"SubObjects":[]},"buffer_offset":5}\', zmq.NOBLOCK)',
    '    time.sleep(0.1)',
  ].join('\n');
  const publisher = spawn('/usr/bin/python3', ['-c', script, endpoint], { stdio: 'inherit' });
  const source = openDetections(`zmq:${endpoint}`);
  const { sets, skipped } = collect(source);
  source.start();
  try {
    await eventually(() => sets.length, (n) => n >= 2, 15_000);
    assert.deepEqual(sets[0], { boxes: [], frame: { offset: 5 } });
    assert.ok(skipped.length >= 1 && skipped.every((s) => s.code === 'E_TOO_LARGE'), JSON.stringify(skipped));
  } finally {
    source.close();
    publisher.kill();
  }
});

test('a file not there yet is waited for: hailoexportfile starting after the agent is read from its first frame', async () => {
  const path = join(dir, 'later.json');
  const source = openDetections(path);
  const { sets, skipped } = collect(source);
  source.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(path, '[]');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const entry = (offset: number): string => JSON.stringify({ HailoROI: { SubObjects: [] }, 'timestamp (ms)': 1, buffer_offset: offset }, null, 4);
    writeFileSync(path, `[${entry(0)}]`);
    await eventually(() => sets.length, (n) => n >= 1, 5000);
    writeFileSync(path, `[${entry(0)},${entry(1)}]`);
    await eventually(() => sets.length, (n) => n >= 2, 5000);
    assert.deepEqual(sets.map((s) => s.frame.offset), [0, 1]);
    assert.deepEqual(skipped, []);
  } finally {
    source.close();
  }
});

test('specs that cannot work: a bad zmq endpoint, unix: with no path, a unix path that is a plain file', () => {
  const code = (run: () => unknown): string | undefined => {
    try {
      run();
    } catch (error) {
      assert.ok(error instanceof DetectionError, String(error));
      return error.code;
    }
    return undefined;
  };
  assert.equal(code(() => openDetections('zmq:udp://1.2.3.4:5')), 'E_DETECTIONS_SPEC');
  assert.equal(code(() => openDetections('zmq:tcp://localhost:99999')), 'E_DETECTIONS_SPEC');
  assert.equal(code(() => openDetections('unix:')), 'E_DETECTIONS_SPEC');
  const file = join(dir, 'not-a-socket');
  writeFileSync(file, 'hello');
  assert.equal(code(() => openDetections(`unix:${file}`).start()), 'E_DETECTIONS_SPEC');
  // The publisher's own form of its address: `*` is this machine.
  assert.equal(code(() => openDetections('zmq:tcp://*:5555').close()), undefined);
});
