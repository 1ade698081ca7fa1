import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeBlob, encodeBlob, isAgentCodec } from '../../src/signal/index.ts';
import { parseSdp } from '../../src/signal/sdp-parse.ts';

// Captured from werift 0.24.4 (IPv6 candidate removed) and Chromium 156; live ones are in live.test.ts.
const WERIFT_OFFER = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const CHROMIUM_OFFER = readFileSync(new URL('../fixtures/chromium-offer.sdp', import.meta.url), 'utf8');
const REBUILT = readFileSync(new URL('../fixtures/werift-offer.rebuilt.sdp', import.meta.url), 'utf8');

test('the werift offer goes compact in 66 bytes and rebuilds to the golden SDP', () => {
  const blob = encodeBlob({ type: 'offer', sdp: WERIFT_OFFER }, { offerId: 0x1234 });
  assert.equal(blob.mode, 'compact');
  assert.equal(blob.bytes.length, 66);
  assert.equal(blob.text.length, 'pigeon:'.length + 88);
  const decoded = decodeBlob(blob.text, { expect: 'offer' });
  assert.equal(decoded.offerId, 0x1234);
  assert.equal(decoded.sdp, REBUILT);
  assert.deepEqual(decoded.frame, blob.bytes);
  // Same blob from the QR's bytes as from its text.
  assert.equal(decodeBlob(blob.bytes).sdp, REBUILT);
  // ... and from a paste that lost its prefix.
  assert.equal(decodeBlob(blob.text.slice('pigeon:'.length)).sdp, REBUILT);
  // Re-encoding the rebuilt SDP is a fixed point: nothing drifts through a second hop.
  assert.deepEqual(encodeBlob({ type: 'offer', sdp: decoded.sdp }, { offerId: 0x1234 }).bytes, blob.bytes);
});

test('what a compact blob keeps: transport, codecs with their payload types, data channel', () => {
  const original = parseSdp(WERIFT_OFFER).session;
  const rebuilt = parseSdp(decodeBlob(encodeBlob({ type: 'offer', sdp: WERIFT_OFFER }).text).sdp).session;
  assert.deepEqual(rebuilt, original);
});

test("Chromium's offer: mDNS candidates dropped by default, kept as 16 bytes each on request", () => {
  const dropped = encodeBlob({ type: 'offer', sdp: CHROMIUM_OFFER });
  const kept = encodeBlob({ type: 'offer', sdp: CHROMIUM_OFFER }, { mdns: 'keep' });
  assert.equal(kept.bytes.length - dropped.bytes.length, 2 * (1 + 16 + 2));
  const candidates = parseSdp(decodeBlob(kept.bytes).sdp, { mdns: 'keep' }).session.candidates.map((c) => `${c.address} ${c.port}`);
  assert.deepEqual(candidates, ['30d14149-7c9b-4c29-99b4-1d15aaa997e7.local 54392', '11c571ea-3e4c-462a-b72c-3d56cc0480f7.local 44357']);
  assert.equal(parseSdp(decodeBlob(dropped.bytes).sdp, { mdns: 'keep' }).session.candidates.length, 0);
});

test("a browser offer reduced to the agent's codecs keeps the browser's payload type numbers", () => {
  const blob = encodeBlob({ type: 'offer', sdp: CHROMIUM_OFFER }, { keepCodec: isAgentCodec });
  assert.ok(blob.bytes.length <= 110, `${blob.bytes.length} bytes`);
  const video = parseSdp(decodeBlob(blob.text).sdp).session.media[0]!;
  assert.deepEqual(
    video.codecs.map((c) => `${c.payloadType} ${c.name} ${c.params['profile-level-id'] ?? ''}`.trim()),
    ['96 VP8', '102 H264 42001f', '108 H264 42e01f'],
  );
});

test('fallback mode carries an SDP exactly, and auto picks it for what compact cannot hold', () => {
  const forced = encodeBlob({ type: 'offer', sdp: CHROMIUM_OFFER }, { mode: 'fallback' });
  assert.equal(decodeBlob(forced.text).sdp, CHROMIUM_OFFER.replace(/\r?\n/g, '\r\n'));
  const unbundled = WERIFT_OFFER.replace('a=group:BUNDLE 0 1\n', '');
  const auto = encodeBlob({ type: 'offer', sdp: unbundled });
  assert.equal(auto.mode, 'fallback');
  assert.match(auto.fallbackReasons.join(), /BUNDLE/);
  assert.equal(decodeBlob(auto.bytes).sdp, unbundled.replace(/\r?\n/g, '\r\n'));
  assert.ok(auto.bytes.length < 300, `${auto.bytes.length} bytes`);
});
