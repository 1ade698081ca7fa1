import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '../../src/bridge-wire/errors.ts';
import { FRAME_HEADER_BYTES, decodeVideoFrame, encodeVideoFrame } from '../../src/bridge-wire/frame.ts';

// A VP8 keyframe after a loss, as bytes: each header field spelled out.
const BYTES = Uint8Array.from([
  0x01, // header version 1
  0x02, // codec 2: VP8
  0x03, // flags: keyframe (bit 0) | frames lost just before (bit 1)
  0x14, // header length: 20 bytes
  0xfe, 0xdc, 0xba, 0x98, // RTP timestamp 0xfedcba98
  0x41, 0x2e, 0x84, 0x80, 0x00, 0x00, 0x00, 0x00, // presentation time 1 000 000 µs, float64
  0x00, 0x00, 0x01, 0x00, // frame number 256
  0x9d, 0x01, 0x2a, // the frame (a VP8 keyframe's start code)
]);

const FRAME = { codec: 'VP8', keyframe: true, discontinuity: true, rtpTimestamp: 0xfedcba98, timestampUs: 1_000_000, frameNumber: 256, data: Uint8Array.from([0x9d, 0x01, 0x2a]) } as const;

test('a frame message encodes to its documented bytes and decodes back', () => {
  assert.deepEqual(encodeVideoFrame(FRAME), BYTES);
  assert.deepEqual(decodeVideoFrame(BYTES), FRAME);
});

test('an H.264 delta frame round-trips, and a longer header from a later version is skipped', () => {
  const h264 = { codec: 'H264', keyframe: false, discontinuity: false, rtpTimestamp: 0, timestampUs: 33_333, frameNumber: 1, data: Uint8Array.from([0, 0, 0, 1, 0x41]) } as const;
  assert.deepEqual(decodeVideoFrame(encodeVideoFrame(h264)), h264);
  const longer = new Uint8Array(BYTES.length + 4);
  longer.set(BYTES.subarray(0, FRAME_HEADER_BYTES));
  longer[3] = FRAME_HEADER_BYTES + 4;
  longer.set(BYTES.subarray(FRAME_HEADER_BYTES), FRAME_HEADER_BYTES + 4);
  assert.deepEqual(decodeVideoFrame(longer).data, FRAME.data);
});

test('messages that are not frames are refused with E_BRIDGE_FRAME saying why', () => {
  const cases: [Uint8Array, RegExp][] = [
    [Uint8Array.from([1, 2]), /shorter than its header/],
    [Uint8Array.from([2, ...BYTES.subarray(1)]), /header version 2/],
    [Uint8Array.from([1, 9, ...BYTES.subarray(2)]), /unknown codec 9/],
    [BYTES.subarray(0, 19), /20-byte header in 19 bytes/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => decodeVideoFrame(bytes), (error: unknown) => error instanceof BridgeError && error.code === 'E_BRIDGE_FRAME' && message.test(error.message));
  }
});
