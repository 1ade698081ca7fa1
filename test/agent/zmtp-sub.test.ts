// The ZMTP 3.0 SUB side byte by byte, against a publisher written out here field by field (the
// real one, libzmq through pyzmq, is in detection-inputs.test.ts and detection-source.test.ts):
// what the subscriber sends, and frames that arrive a byte at a time.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ZmqSubscriber, parseZmqEndpoint } from '../../pi-agent/src/detections/zmtp-sub.ts';
import { eventually } from '../harness/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'pigeon-zmtp-'));

const greeting = Buffer.concat([
  Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f]), // signature
  Buffer.from([3, 1]), // version 3.1: a newer publisher speaks down to the subscriber's 3.0
  Buffer.from('NULL'.padEnd(20, '\0')), // mechanism
  Buffer.from([0]), // as-server
  Buffer.alloc(31), // filler
]);
// READY: command flag, size, name length + "READY", property name length + "Socket-Type", value length (4 bytes) + "PUB".
const ready = Buffer.concat([Buffer.from([0x04, 25, 5]), Buffer.from('READY'), Buffer.from([11]), Buffer.from('Socket-Type'), Buffer.from([0, 0, 0, 3]), Buffer.from('PUB')]);
const short = (flags: number, body: string): Buffer => Buffer.concat([Buffer.from([flags, Buffer.byteLength(body)]), Buffer.from(body)]);
const long = (flags: number, body: string): Buffer => {
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(Buffer.byteLength(body)));
  return Buffer.concat([Buffer.from([flags | 0x02]), size, Buffer.from(body)]);
};

test('greets, says READY as a SUB, subscribes to everything, and reads frames however they are cut: short, long, a topic + body message', async () => {
  const path = join(dir, 'pub.sock');
  const heard: Buffer[] = [];
  let peer: Socket | undefined;
  const server = createServer((socket) => {
    peer = socket;
    socket.on('data', (chunk) => heard.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const sub = new ZmqSubscriber(`ipc://${path}`);
  const messages: string[] = [];
  sub.on('message', (text) => messages.push(text));
  sub.start();
  try {
    await eventually(() => Buffer.concat(heard).length, (n) => n >= 64, 5000);
    const ours = Buffer.concat(heard);
    assert.deepEqual([...ours.subarray(0, 12)], [0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0], 'signature, version 3.0');
    assert.equal(ours.subarray(12, 16).toString(), 'NULL');

    const body = '{"HailoROI":{"SubObjects":[]},"buffer_offset":' + '1'.repeat(300) + '}';
    const stream = Buffer.concat([greeting, ready, short(0, '{"boxes":[]}'), long(0, body), short(0x01, 'topic'), short(0, '{"last":1}')]);
    // A byte at a time: every boundary falls somewhere.
    for (const byte of stream) peer!.write(Buffer.from([byte]));
    await eventually(() => messages.length, (n) => n >= 3, 5000);
    assert.deepEqual(messages, ['{"boxes":[]}', body, '{"last":1}']);

    const after = Buffer.concat(heard).subarray(64);
    assert.deepEqual([...after.subarray(0, 3)], [0x04, 25, 5], 'a READY command of our own');
    assert.match(after.subarray(3, 27).toString('latin1'), /READY\x0bSocket-Type\0\0\0\x03SUB/);
    assert.deepEqual([...after.subarray(27)], [0x00, 0x01, 0x01], 'a one-byte message 0x01: subscribe to every topic');
  } finally {
    sub.close();
    server.close();
  }
});

test('endpoints as a publisher binds them', () => {
  assert.deepEqual(parseZmqEndpoint('tcp://*:5555'), { kind: 'tcp', host: '127.0.0.1', port: 5555 });
  assert.deepEqual(parseZmqEndpoint('tcp://[::1]:5555'), { kind: 'tcp', host: '::1', port: 5555 });
  assert.deepEqual(parseZmqEndpoint('tcp://pi.local:6000'), { kind: 'tcp', host: 'pi.local', port: 6000 });
  assert.deepEqual(parseZmqEndpoint('ipc:///run/pigeon/hailo.ipc'), { kind: 'ipc', path: '/run/pigeon/hailo.ipc' });
  assert.throws(() => parseZmqEndpoint('tcp://host'), /tcp:\/\/HOST:PORT or ipc:\/\/PATH/);
  assert.throws(() => parseZmqEndpoint('inproc://x'), /tcp:\/\/HOST:PORT or ipc:\/\/PATH/);
});
