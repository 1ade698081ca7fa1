import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { KeyframeCache, hasKeyframe } from '../../pi-agent/src/rtp/keyframe-cache.ts';
import type { VideoCodec } from '../../pi-agent/src/webrtc/viewer-peer.ts';

/*
 * Which RTP packets start a keyframe, on real encoder output (x264 and vp8enc through the
 * payloaders the agent uses) and on hand-built packets for the header shapes gst does not make.
 */

/** `count` RTP packets of a real encoder, keyframe every 10 frames. */
async function capture(codec: VideoCodec, count: number): Promise<Buffer[]> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const encoder =
    codec === 'H264'
      ? ['x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'key-int-max=10', '!', 'video/x-h264,profile=constrained-baseline', '!', 'rtph264pay', 'config-interval=-1', 'aggregate-mode=zero-latency', 'mtu=1200']
      : ['vp8enc', 'deadline=1', 'keyframe-max-dist=10', '!', 'rtpvp8pay', 'picture-id-mode=15-bit', 'mtu=1200'];
  const gst = spawn('gst-launch-1.0', ['-q', 'videotestsrc', 'is-live=true', 'pattern=snow', '!', 'video/x-raw,width=320,height=240,framerate=30/1', '!', ...encoder, '!', 'udpsink', 'host=127.0.0.1', `port=${socket.address().port}`]);
  const packets: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${packets.length} of ${count} RTP packets within 20 s`)), 20_000);
      socket.on('message', (packet) => {
        packets.push(packet);
        if (packets.length === count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    gst.kill();
    socket.close();
  }
  return packets;
}

/** The frames (runs of one RTP timestamp) in order, each with its packets. */
function frames(packets: Buffer[]): Buffer[][] {
  const out: Buffer[][] = [];
  for (const packet of packets) {
    const last = out.at(-1);
    if (last && last[0]!.readUInt32BE(4) === packet.readUInt32BE(4)) last.push(packet);
    else out.push([packet]);
  }
  return out;
}

for (const codec of ['H264', 'VP8'] as const) {
  test(`${codec}: keyframes are found in real encoder output, every 10th frame, and the cache starts at the keyframe's first packet`, async () => {
    const all = frames(await capture(codec, 400)).slice(1, -1); // whole frames only
    const keyframes = all.map((frame, i) => (frame.some((p) => hasKeyframe(codec, p)) ? i : -1)).filter((i) => i >= 0);
    assert.ok(keyframes.length >= 2, `${keyframes.length} keyframes in ${all.length} frames`);
    for (let i = 1; i < keyframes.length; i++) assert.equal(keyframes[i]! - keyframes[i - 1]!, 10, `keyframes at frames ${keyframes.join(', ')}`);

    const cache = new KeyframeCache(codec);
    const key = all[keyframes[0]!]!;
    let now = 1000;
    for (const frame of all.slice(0, keyframes[0]! + 2)) for (const packet of frame) cache.push(packet, (now += 1));
    const fresh = cache.fresh(now);
    assert.ok(fresh, 'a keyframe is cached');
    // The keyframe's first packet (for x264 the delimiter, SPS and PPS together) comes first, then all that followed.
    assert.deepEqual(fresh, [...key, ...all[keyframes[0]! + 1]!]);
    assert.equal(cache.fresh(now + 201), undefined, 'not after 200 ms');
  });
}

test('H.264 and VP8 payloads behind CSRCs and a header extension; fragments that are not a start', () => {
  const rtp = (payload: number[], { csrcs = 0, extensionWords = -1 } = {}): Buffer => {
    const header = [
      0x80 | (extensionWords >= 0 ? 0x10 : 0) | csrcs, // V=2, X, CC
      96, // M=0, PT
      0, 1, // sequence number
      0, 0, 0, 90, // timestamp
      1, 2, 3, 4, // SSRC
      ...new Array<number>(4 * csrcs).fill(7), // CSRC list
      ...(extensionWords >= 0 ? [0xbe, 0xde, 0, extensionWords, ...new Array<number>(4 * extensionWords).fill(0)] : []), // extension
    ];
    return Buffer.from([...header, ...payload]);
  };
  // STAP-A (24) holding an AUD (9, 2 bytes) then an SPS (7, 3 bytes).
  const stap = [0x18, 0x00, 0x02, 0x09, 0xf0, 0x00, 0x03, 0x67, 0x42, 0xe0];
  assert.equal(hasKeyframe('H264', rtp(stap, { csrcs: 2, extensionWords: 1 })), true);
  // FU-A (28) of an IDR (5): start bit set / not set.
  assert.equal(hasKeyframe('H264', rtp([0x7c, 0x85, 0xaa])), true);
  assert.equal(hasKeyframe('H264', rtp([0x7c, 0x05, 0xaa])), false);
  // A non-IDR slice (1).
  assert.equal(hasKeyframe('H264', rtp([0x41, 0x9a])), false);
  // VP8: X=1, S=1, PID=0; I=1 with a 15-bit picture id (M bit); then a key frame header (bit 0 = 0) / an inter frame (1).
  assert.equal(hasKeyframe('VP8', rtp([0x90, 0x80, 0x81, 0x23, 0x10, 0x02, 0x00])), true);
  assert.equal(hasKeyframe('VP8', rtp([0x90, 0x80, 0x81, 0x23, 0x11, 0x02, 0x00])), false);
  // VP8, not the start of partition 0.
  assert.equal(hasKeyframe('VP8', rtp([0x80, 0x80, 0x81, 0x23, 0x10])), false);
  // Cut short.
  assert.equal(hasKeyframe('H264', Buffer.from([0x80, 96, 0, 1])), false);
});
