import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { encodeFrame } from '../../src/signal/frame.ts';
import { trimForFallback } from '../../src/signal/fallback.ts';
import { decodeBlob, encodeBlob, isSignalError } from '../../src/signal/index.ts';
import { parseSdp } from '../../src/signal/sdp-parse.ts';
import { rng } from '../harness/index.ts';

const WERIFT = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const CHROMIUM = readFileSync(new URL('../fixtures/chromium-offer.sdp', import.meta.url), 'utf8');
const SEEDS = [
  encodeBlob({ type: 'offer', sdp: WERIFT }, { offerId: 1 }),
  encodeBlob({ type: 'offer', sdp: CHROMIUM }),
  encodeBlob({ type: 'offer', sdp: CHROMIUM }, { mdns: 'keep' }),
  encodeBlob({ type: 'answer', sdp: WERIFT }, { mode: 'fallback', offerId: 2 }),
];

const tally = new Map<string, number>();

/** Decoding either works, giving an SDP that parses, or throws a SignalError. Nothing else. */
function attempt(input: string | Uint8Array): 'ok' | string {
  let outcome: string;
  try {
    const decoded = decodeBlob(input);
    parseSdp(decoded.sdp, { mdns: 'keep' });
    outcome = 'ok';
  } catch (error) {
    assert.ok(isSignalError(error), `not a SignalError: ${String((error as Error)?.stack ?? error)}`);
    outcome = error.code;
  }
  tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
  return outcome;
}

test('12 000 random and mutated blobs: only SignalErrors, and no single bit flip gets through', () => {
  const random = rng(20261123);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  let runs = 0;

  for (let i = 0; i < 2000; i++, runs++) attempt(Uint8Array.from({ length: int(200) }, () => int(256)));
  for (let i = 0; i < 1000; i++, runs++) attempt(`pigeon:${Array.from({ length: int(150) }, () => String.fromCharCode(32 + int(95))).join('')}`);

  for (let i = 0; i < 3000; i++, runs++) {
    const seed = pick(SEEDS).bytes;
    const flipped = seed.slice();
    const bit = int(seed.length * 8);
    flipped[bit >> 3]! ^= 1 << (bit & 7);
    // CRC-32 catches every single-bit error, so none may decode.
    assert.notEqual(attempt(flipped), 'ok', `bit ${bit} flipped decoded`);
  }
  for (let i = 0; i < 2000; i++, runs++) {
    const seed = pick(SEEDS);
    attempt(int(2) ? seed.bytes.subarray(0, int(seed.bytes.length)) : seed.text.slice(0, int(seed.text.length)));
  }
  for (let i = 0; i < 2000; i++, runs++) {
    const a = pick(SEEDS).bytes;
    const b = pick(SEEDS).bytes;
    attempt(Uint8Array.from([...a.subarray(0, int(a.length)), ...b.subarray(int(b.length))]));
  }
  // Mutated payloads re-framed with a good checksum reach the compact decoder and inflate.
  for (let i = 0; i < 2000; i++, runs++) {
    const seed = pick(SEEDS);
    const payload = seed.bytes.slice(seed.offerId === undefined ? 2 : 4, -4);
    for (let k = 0, n = 1 + int(4); k < n; k++) payload[int(payload.length)] = int(256);
    const cut = int(3) === 0 ? payload.subarray(0, int(payload.length)) : payload;
    attempt(encodeFrame({ type: seed.type, mode: seed.mode, offerId: seed.offerId, payload: cut }));
  }

  assert.ok(runs >= 10_000);
  assert.ok((tally.get('ok') ?? 0) > 0, 'some mutated payloads still decode (the decoder is exercised past the checksum)');
  assert.ok((tally.get('E_MALFORMED') ?? 0) > 0);
  console.log(`fuzz outcomes over ${runs} inputs: ${JSON.stringify(Object.fromEntries(tally))}`);
});

test('4 000 mangled SDPs: encode gives a blob that decodes, or a SignalError, never a crash', () => {
  const random = rng(8445);
  const int = (n: number): number => Math.floor(random() * n);
  const sources = [WERIFT, CHROMIUM].map((sdp) => sdp.split('\n'));
  const junk = ['a=candidate:1 1 udp x 1.2.3.4 99999 typ host', 'a=mid:', 'm=video', 'a=rtpmap:96', 'a=fmtp:96 ;;==;', 'a=setup:', '\u0000', 'a=sctp-port:-1', 'a=max-message-size:1e99', 'a=ice-pwd:é'];
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 4000; i++) {
    const lines = [...sources[int(2)]!];
    for (let k = 0, n = 1 + int(5); k < n; k++) {
      const at = int(lines.length);
      const op = int(4);
      if (op === 0) lines.splice(at, 1);
      else if (op === 1) lines.splice(at, 0, junk[int(junk.length)]!);
      else if (op === 2) lines[at] = (lines[at] ?? '').slice(0, int((lines[at] ?? '').length + 1));
      else lines.splice(at, 0, lines[int(lines.length)] ?? '');
    }
    const sdp = lines.join('\n');
    let outcome = 'ok';
    try {
      const mdns = int(2) ? 'keep' : 'drop';
      const blob = encodeBlob({ type: int(2) ? 'offer' : 'answer', sdp }, { mdns });
      const back = decodeBlob(blob.bytes);
      // A compact blob rebuilds what it read, and its SDP re-encodes to the same bytes.
      if (blob.mode === 'compact') {
        assert.deepEqual(parseSdp(back.sdp, { mdns }).session, parseSdp(sdp, { mdns }).session);
        assert.deepEqual(encodeBlob({ type: back.type, sdp: back.sdp }, { mdns }).bytes, blob.bytes);
      } else {
        assert.equal(back.sdp, trimForFallback(sdp, { mdns }).replace(/\r?\n/g, '\r\n'));
      }
    } catch (error) {
      assert.ok(isSignalError(error), `not a SignalError for:\n${sdp}\n${String((error as Error)?.stack ?? error)}`);
      outcome = error.code;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  assert.ok((outcomes.get('ok') ?? 0) > 1000);
  console.log(`encode fuzz outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
});
