// RtpIn through its public interface with real UDP on loopback: what a gst-launch child's udpsink
// sends arrives as 'packet' events, and keyframe requests leave as RTCP for rtpbin's udpsrc.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { RtpIn } from '../../pi-agent/src/rtp/rtp-in.ts';
import { eventually } from '../harness/index.ts';

const HOST = '127.0.0.1';

/** An RTP packet: version 2, payload type 96, `marker` ending a frame, 100 bytes of payload. */
function rtp(seq: number, ssrc: number, marker = false): Buffer {
  const packet = Buffer.alloc(12 + 100, 0xab);
  packet.writeUInt8(0x80, 0); // V=2, no padding, no extension, no CSRC
  packet.writeUInt8((marker ? 0x80 : 0) | 96, 1); // M, PT
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(seq * 3000, 4); // timestamp, 90 kHz at 30 fps
  packet.writeUInt32BE(ssrc >>> 0, 8);
  return packet;
}

function sender(): Socket {
  return createSocket('udp4');
}

function send(socket: Socket, packet: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.send(packet, port, HOST, (error) => (error ? reject(error) : resolve())));
}

test('RTP packets sent to its port arrive as packet events, in order; what is not RTP v2 is dropped', async (t) => {
  const input = await RtpIn.open();
  const socket = sender();
  t.after(() => {
    input.close();
    socket.close();
  });
  const seen: number[] = [];
  input.on('packet', (packet) => seen.push(packet.readUInt16BE(2)));
  await send(socket, Buffer.from('not rtp at all'), input.rtpPort);
  const version1 = rtp(7, 1);
  version1.writeUInt8(0x40, 0);
  await send(socket, version1, input.rtpPort);
  for (let seq = 100; seq < 110; seq++) await send(socket, rtp(seq, 0x1234, seq % 5 === 4), input.rtpPort);
  const got = await eventually(() => [...seen], (list) => list.length >= 10, 5000);
  assert.deepEqual(got, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
  const stats = input.stats();
  assert.equal(stats.packets, 10, 'only the RTP v2 packets count');
  assert.equal(stats.ssrc, 0x1234);
});

test('a keyframe request goes to the RTCP input port as a receiver report and a PLI for the encoder SSRC', async (t) => {
  const input = await RtpIn.open();
  const socket = sender();
  // Where rtpbin's udpsrc would listen: the port RtpIn reserved for it.
  const rtcpIn = createSocket('udp4');
  t.after(() => {
    input.close();
    socket.close();
    rtcpIn.close();
  });
  const received: Buffer[] = [];
  rtcpIn.on('message', (packet) => received.push(packet));
  await new Promise<void>((resolve) => rtcpIn.bind(input.rtcpInPort, HOST, () => resolve()));
  await send(socket, rtp(1, 0xcafe0001, true), input.rtpPort);
  await eventually(() => input.stats().ssrc, (ssrc) => ssrc !== undefined, 5000);
  input.requestKeyframe();
  const [packet] = await eventually(() => [...received], (list) => list.length >= 1, 5000);
  assert.ok(packet, 'an RTCP packet arrived');
  assert.equal(packet.length, 20);
  assert.equal(packet.readUInt8(1), 201, 'a receiver report first');
  assert.equal(packet.readUInt8(8) & 0x1f, 1, 'then FMT 1: picture loss indication');
  assert.equal(packet.readUInt8(9), 206, 'payload-specific feedback');
  assert.equal(packet.readUInt32BE(16), 0xcafe0001, 'addressed to the encoder SSRC');
});

test('listeners can come and go: one that stops listening gets nothing more, the others go on', async (t) => {
  const input = await RtpIn.open();
  const socket = sender();
  t.after(() => {
    input.close();
    socket.close();
  });
  const first: number[] = [];
  const second: number[] = [];
  const onFirst = (packet: Buffer): void => void first.push(packet.readUInt16BE(2));
  input.on('packet', onFirst);
  input.on('packet', (packet) => second.push(packet.readUInt16BE(2)));
  await send(socket, rtp(1, 9), input.rtpPort);
  await eventually(() => first.length, (n) => n === 1, 5000);
  input.off('packet', onFirst);
  await send(socket, rtp(2, 9), input.rtpPort);
  await eventually(() => second.length, (n) => n === 2, 5000);
  assert.deepEqual(first, [1]);
  assert.deepEqual(second, [1, 2]);
});
