import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { h264AccessUnit, hasIdr, readRtp, vp8Frame, type RtpView } from '../../bridge/src/depacketize/index.ts';

const FRAMES = 40;

/**
 * Runs gst-launch: `encode` makes frames that a tee sends both to multifilesink (one file per
 * encoder buffer: the frames as the encoder made them) and to `pay` → udpsink on loopback (the
 * RTP the bridge would get). Resolves with both, the packets grouped by RTP timestamp in order.
 */
async function encodeAndPay(encode: string, pay: string): Promise<{ frames: Buffer[]; rtp: RtpView[][] }> {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-engine-depacketize-'));
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const packets: RtpView[] = [];
  socket.on('message', (packet) => {
    const rtp = readRtp(Buffer.from(packet));
    if (rtp) packets.push(rtp);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    const line = `videotestsrc num-buffers=${FRAMES} pattern=smpte horizontal-speed=2 ! video/x-raw,width=640,height=480,framerate=30/1 ! ${encode} ! tee name=t t. ! queue ! multifilesink location=${dir}/f%05d t. ! queue ! ${pay} ! udpsink host=127.0.0.1 port=${socket.address().port}`; // sync (the default): paced at 30 fps, so no datagram overflows the socket under load
    const gst = spawn('gst-launch-1.0', ['-q', ...line.split(' ')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    gst.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => gst.on('exit', resolve));
    assert.equal(code, 0, stderr);
    // Loopback datagrams are delivered in order, but the last ones may still be in the socket's queue.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const names = (await readdir(dir)).sort();
    const frames = await Promise.all(names.map((name) => readFile(join(dir, name))));
    packets.sort((a, b) => a.sequenceNumber - b.sequenceNumber);
    const rtp: RtpView[][] = [];
    for (const packet of packets) {
      const last = rtp.at(-1);
      if (last?.[0]?.timestamp === packet.timestamp) last.push(packet);
      else rtp.push([packet]);
    }
    return { frames, rtp };
  } finally {
    socket.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** NAL units of an Annex B stream (3- or 4-byte start codes), AUD dropped (the payloader drops them). */
function nalUnits(annexB: Buffer): string[] {
  const units: string[] = [];
  let start = -1;
  for (let i = 0; i + 2 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1) {
      if (start >= 0) units.push(annexB.subarray(start, annexB[i - 1] === 0 ? i - 1 : i).toString('hex'));
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0) units.push(annexB.subarray(start).toString('hex'));
  return units.filter((unit) => (parseInt(unit.slice(0, 2), 16) & 0x1f) !== 9);
}

test('H.264 from rtph264pay (single NAL, STAP-A, FU-A) comes back as the encoder made each access unit', async () => {
  const { frames, rtp } = await encodeAndPay(
    'x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 key-int-max=15 ! video/x-h264,profile=constrained-baseline,stream-format=byte-stream,alignment=au',
    'rtph264pay pt=96 mtu=1200 config-interval=0 aggregate-mode=zero-latency',
  );
  assert.equal(frames.length, FRAMES);
  assert.equal(rtp.length, FRAMES);
  const kinds = new Set(rtp.flat().map((p) => p.payload[0]! & 0x1f));
  for (const kind of [24, 28]) assert.ok(kinds.has(kind), `the stream used NAL type ${kind} (types seen: ${[...kinds].join(', ')})`);
  assert.ok([...kinds].some((kind) => kind >= 1 && kind <= 23), 'the stream used single NAL unit packets');
  for (const [i, packets] of rtp.entries()) {
    assert.ok(packets.at(-1)!.marker, `frame ${i} ends with the marker bit`);
    const unit = h264AccessUnit(packets.map((p) => p.payload));
    assert.deepEqual(nalUnits(unit), nalUnits(frames[i]!), `frame ${i}`);
    assert.equal(hasIdr(unit), hasIdr(frames[i]!), `frame ${i} keyframe`);
  }
  assert.equal(rtp.filter((packets) => hasIdr(h264AccessUnit(packets.map((p) => p.payload)))).length, 3, 'keyframes at 0, 15, 30');
});

test('VP8 from rtpvp8pay (15-bit picture ID, partitions) comes back byte for byte, keyframes told apart', async () => {
  const { frames, rtp } = await encodeAndPay(
    'vp8enc deadline=1 cpu-used=8 end-usage=cbr target-bitrate=2000000 keyframe-max-dist=15 lag-in-frames=0 error-resilient=partitions',
    'rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit',
  );
  assert.equal(frames.length, FRAMES);
  assert.equal(rtp.length, FRAMES);
  assert.ok(rtp.some((packets) => packets.length > 1), 'some frame spans several packets');
  const keyframes: number[] = [];
  for (const [i, packets] of rtp.entries()) {
    const { data, keyframe } = vp8Frame(packets.map((p) => p.payload));
    assert.ok(data.equals(frames[i]!), `frame ${i}: ${data.length} bytes against the encoder's ${frames[i]!.length}`);
    if (keyframe) keyframes.push(i);
  }
  assert.deepEqual(keyframes, [0, 15, 30]);
});
