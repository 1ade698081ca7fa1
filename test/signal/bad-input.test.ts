import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deflateRaw } from 'pako';
import { deflateSdp } from '../../src/signal/fallback.ts';
import { encodeFrame } from '../../src/signal/frame.ts';
import { decodeBlob, encodeBlob, type BlobType } from '../../src/signal/index.ts';
import { errorCode } from './error-code.ts';

const OFFER_SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const offer = encodeBlob({ type: 'offer', sdp: OFFER_SDP }, { offerId: 9 });
const answer = encodeBlob({ type: 'answer', sdp: OFFER_SDP.replace(/actpass/g, 'active') }, { offerId: 9 });
const framed = (payload: Uint8Array, mode: 'compact' | 'fallback' = 'compact'): Uint8Array =>
  encodeFrame({ type: 'offer', mode, offerId: undefined, payload });

const DECODE_CASES: [string, string | Uint8Array, string, BlobType?][] = [
  ['empty paste', '', 'E_NOT_PIGEON'],
  ['ordinary words', 'see you at the robot lab', 'E_NOT_PIGEON'],
  ['a QR holding a URL', new TextEncoder().encode('https://example.invalid/'), 'E_NOT_PIGEON'],
  ['an SDP pasted instead of a blob', OFFER_SDP, 'E_NOT_PIGEON'],
  ['truncated paste', offer.text.slice(0, -12), 'E_TRUNCATED'],
  ['half a paste', offer.text.slice(0, 40), 'E_TRUNCATED'],
  ['prefix only', 'pigeon:', 'E_TRUNCATED'],
  ['one character changed', offer.text.slice(0, 30) + (offer.text[30] === 'A' ? 'B' : 'A') + offer.text.slice(31), 'E_CHECKSUM'],
  ['a stray character', `${offer.text.slice(0, 30)}!${offer.text.slice(30)}`, 'E_CHECKSUM'],
  ['two blobs pasted together', offer.text + answer.text.slice(7), 'E_CHECKSUM'],
  ['from a newer Pigeon', Uint8Array.from([0b101_10_000, 0, 0, 0, 0, 0]), 'E_NEWER_VERSION'],
  ['an answer where an offer was expected', answer.text, 'E_EXPECTED_OFFER', 'offer'],
  ['an offer where an answer was expected', offer.text, 'E_EXPECTED_ANSWER', 'answer'],
  ['checksum fine, payload nonsense', framed(Uint8Array.from([0xff, 0xff])), 'E_MALFORMED'],
  ['checksum fine, unknown codec id', framed(Uint8Array.from([0, 0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, ...new Uint8Array(32), 0x41, 0xf0, 96])), 'E_MALFORMED'],
  ['checksum fine, not deflate', framed(Uint8Array.from([0xff, 0xff, 0xff]), 'fallback'), 'E_MALFORMED'],
  ['a deflate bomb past 64 KiB', framed(deflateRaw(new Uint8Array(200_000).fill(97)), 'fallback'), 'E_TOO_LARGE'],
  ['checksum fine, words where the SDP should be', framed(deflateSdp('hello, this is not an SDP'), 'fallback'), 'E_SDP_INVALID'],
  ['checksum fine, an SDP with no media', framed(deflateSdp('v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n'), 'fallback'), 'E_SDP_INVALID'],
  ['checksum fine, an SDP without ICE', framed(deflateSdp(OFFER_SDP.replace(/a=ice-(ufrag|pwd):.*\n/g, '')), 'fallback'), 'E_SDP_NO_ICE'],
  ['5.6 million base64 characters with no prefix', 'A'.repeat(5_600_000), 'E_TOO_LARGE'],
  ['a prefix and 1 MiB of base64', `pigeon:${'A'.repeat(1 << 20)}`, 'E_TOO_LARGE'],
  ['1 MiB of bytes from a scanner', new Uint8Array(1 << 20).fill(0xa9), 'E_TOO_LARGE'],
];

for (const [name, input, code, expect] of DECODE_CASES) {
  test(`decode refuses ${name} with ${code}`, () => {
    assert.equal(errorCode(() => decodeBlob(input, expect ? { expect } : {})), code);
  });
}

const ENCODE_CASES: [string, string, string, ('compact' | 'auto')?][] = [
  ['text that is not SDP', 'hello', 'E_SDP_INVALID'],
  ['an SDP with no media', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n', 'E_SDP_INVALID'],
  ['an SDP without ICE credentials', OFFER_SDP.replace(/a=ice-(ufrag|pwd):.*\n/g, ''), 'E_SDP_NO_ICE'],
  ['an SDP without a fingerprint', OFFER_SDP.replace(/a=fingerprint:.*\n/g, ''), 'E_SDP_NO_FINGERPRINT'],
  ['an unreadable fingerprint', OFFER_SDP.replace(/a=fingerprint:sha-256 .*/g, 'a=fingerprint:sha-256 zz'), 'E_SDP_NO_FINGERPRINT'],
  ['compact forced on an unbundled SDP', OFFER_SDP.replace('a=group:BUNDLE 0 1\n', ''), 'E_SDP_UNSUPPORTED', 'compact'],
];

for (const [name, sdp, code, mode] of ENCODE_CASES) {
  test(`encode refuses ${name} with ${code}`, () => {
    assert.equal(errorCode(() => encodeBlob({ type: 'offer', sdp }, { mode: mode ?? 'auto' })), code);
  });
}

test('encode refuses a description type it cannot carry', () => {
  const pranswer = { type: 'pranswer', sdp: OFFER_SDP } as unknown as { type: BlobType; sdp: string };
  assert.equal(errorCode(() => encodeBlob(pranswer)), 'E_SDP_UNSUPPORTED');
});

/** Median ms of `runs` calls of `work`: a figure a busy machine moves less than a single call's. */
function medianMs(work: () => void, runs = 7): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const refusal = (text: string) => (): void => void errorCode(() => decodeBlob(text));

// Times here are compared with a reference measured in the same run, never with a fixed figure a
// loaded machine can miss: the slack (2 ms) only absorbs timer granularity.
test('over-long text is refused unread: 10 MB takes no longer than 100 kB, and the limit is said', () => {
  const huge = `pigeon:${'A'.repeat(10_000_000)}`;
  let message = '';
  try {
    decodeBlob(huge);
  } catch (error) {
    message = (error as Error).message;
  }
  assert.match(message, /at most 65536/);
  const reference = medianMs(refusal(`pigeon:${'A'.repeat(100_000)}`));
  const measured = medianMs(refusal(huge));
  assert.ok(measured <= 4 * reference + 2, `10 MB: ${measured.toFixed(2)} ms, 100 kB: ${reference.toFixed(2)} ms`);
});

test('every character of a code up to the limit is read in linear time (no regex recursion)', () => {
  const text = 'A'.repeat(64 * 1024);
  assert.equal(errorCode(() => decodeBlob(text)), 'E_NOT_PIGEON');
  // 8× the text: linear is ~8× the time, quadratic ~64×.
  const reference = medianMs(refusal('A'.repeat(8 * 1024)));
  const measured = medianMs(refusal(text));
  assert.ok(measured <= 20 * reference + 2, `64 KiB: ${measured.toFixed(2)} ms, 8 KiB: ${reference.toFixed(2)} ms`);
});
