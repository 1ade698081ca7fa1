import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from '../../src/signal/crc32.ts';
import { decodeFrame, encodeFrame } from '../../src/signal/frame.ts';
import { errorCode } from './error-code.ts';

function withCrc(bytes: number[]): Uint8Array {
  const crc = crc32(Uint8Array.from(bytes));
  return Uint8Array.from([...bytes, crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]);
}

// An answer to offer 0x1234 in compact mode, three payload bytes.
const ANSWER = withCrc([
  0b101_01_1_0_1, // marker 101, version 1, answer, compact, has offer id
  0x12, 0x34, // offer id
  0x03, // payload length (varint)
  0xaa, 0xbb, 0xcc, // payload
]);

test('a frame decodes field by field and encodes back to the same bytes', () => {
  const frame = decodeFrame(ANSWER);
  assert.deepEqual(frame, { type: 'answer', mode: 'compact', offerId: 0x1234, payload: Uint8Array.from([0xaa, 0xbb, 0xcc]) });
  assert.deepEqual(encodeFrame(frame), ANSWER);
});

test('an offer without an id, in fallback mode, has no id bytes', () => {
  const bytes = withCrc([0b101_01_0_1_0, 0x01, 0x7f]);
  assert.deepEqual(decodeFrame(bytes), { type: 'offer', mode: 'fallback', offerId: undefined, payload: Uint8Array.from([0x7f]) });
  assert.deepEqual(encodeFrame(decodeFrame(bytes)), bytes);
});

test('payloads of 128 bytes and more take a two-byte length', () => {
  const payload = new Uint8Array(300).map((_, i) => i & 0xff);
  const bytes = encodeFrame({ type: 'offer', mode: 'fallback', offerId: undefined, payload });
  assert.deepEqual([...bytes.subarray(1, 3)], [0b1_0101100, 0b10]); // 300 = 0b10_0101100
  assert.deepEqual(decodeFrame(bytes).payload, payload);
});

test('offer ids outside 16 bits are a programming error, not a silent wrap', () => {
  assert.throws(() => encodeFrame({ type: 'offer', mode: 'compact', offerId: 65536, payload: new Uint8Array(1) }), RangeError);
});

test('frame errors name what is wrong', () => {
  const code = (bytes: Uint8Array): string => errorCode(() => decodeFrame(bytes));
  assert.equal(code(new Uint8Array()), 'E_NOT_PIGEON');
  assert.equal(code(Uint8Array.from([0x7b, 0x22])), 'E_NOT_PIGEON'); // '{"', some JSON
  assert.equal(code(withCrc([0b101_10_0_0_0, 0x00])), 'E_NEWER_VERSION');
  assert.equal(code(ANSWER.subarray(0, ANSWER.length - 1)), 'E_TRUNCATED');
  assert.equal(code(ANSWER.subarray(0, 2)), 'E_TRUNCATED');
  assert.equal(code(Uint8Array.from([...ANSWER, 0])), 'E_CHECKSUM');
  const flipped = ANSWER.slice();
  flipped[5]! ^= 0x10;
  assert.equal(code(flipped), 'E_CHECKSUM');
});
