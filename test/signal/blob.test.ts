import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeBlob, encodeBlob, isAgentCodec } from '../../src/signal/index.ts';
import { parseSdp } from '../../src/signal/sdp-parse.ts';

// Captured from werift 0.24.4 (IPv6 candidate removed) and Chromium 156; live ones are in live.test.ts.
const WERIFT_OFFER = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const CHROMIUM_OFFER = readFileSync(new URL('../fixtures/chromium-offer.sdp', import.meta.url), 'utf8');
const REBUILT = readFileSync(new URL('../fixtures/werift-offer.rebuilt.sdp', import.meta.url), 'utf8');
// Captured from Firefox ESR 153 (default prefs): its max-bundle offer, whose data section is
// `m=application 0` + `a=bundle-only`, and its answer to an H.264-only offer, which refuses the
// video (the BUNDLE tag) and moves the tag to the data section.
const FIREFOX_OFFER = readFileSync(new URL('../fixtures/firefox-offer.sdp', import.meta.url), 'utf8');
const FIREFOX_NO_H264 = readFileSync(new URL('../fixtures/firefox-answer-no-h264.sdp', import.meta.url), 'utf8');

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
  const forced = encodeBlob({ type: 'offer', sdp: CHROMIUM_OFFER }, { mode: 'fallback', mdns: 'keep' });
  assert.equal(decodeBlob(forced.text).sdp, CHROMIUM_OFFER.replace(/\r?\n/g, '\r\n'));
  const unbundled = WERIFT_OFFER.replace('a=group:BUNDLE 0 1\n', '');
  const auto = encodeBlob({ type: 'offer', sdp: unbundled });
  assert.equal(auto.mode, 'fallback');
  assert.match(auto.fallbackReasons.join(), /BUNDLE/);
  assert.equal(decodeBlob(auto.bytes).sdp, unbundled.replace(/\r?\n/g, '\r\n'));
  assert.ok(auto.bytes.length < 300, `${auto.bytes.length} bytes`);
});

test('fallback leaves out mDNS candidates and then end-of-candidates, as compact mode does', () => {
  const withEnd = CHROMIUM_OFFER.replace(/(a=candidate:.*\r?\n)(?!a=candidate)/, '$1a=end-of-candidates\r\n');
  assert.match(withEnd, /\.local .*\r?\na=end-of-candidates/);
  const sdp = decodeBlob(encodeBlob({ type: 'offer', sdp: withEnd }, { mode: 'fallback' }).text).sdp;
  assert.doesNotMatch(sdp, /\.local /);
  assert.doesNotMatch(sdp, /end-of-candidates/);
  // What is left is the same offer, line for line.
  const rest = (text: string): string[] => text.split(/\r?\n/).filter((l) => !/\.local |end-of-candidates/.test(l));
  assert.deepEqual(sdp.split('\r\n'), rest(withEnd));
  const kept = decodeBlob(encodeBlob({ type: 'offer', sdp: withEnd }, { mode: 'fallback', mdns: 'keep' }).text).sdp;
  assert.match(kept, /\.local .*\r\na=end-of-candidates/);
});

test("Firefox's bundle-only data section goes compact and comes back as an ordinary bundled section", () => {
  const blob = encodeBlob({ type: 'offer', sdp: FIREFOX_OFFER }, { keepCodec: isAgentCodec, offerId: 7 });
  assert.equal(blob.mode, 'compact', blob.fallbackReasons.join('; '));
  assert.ok(blob.bytes.length <= 110, `${blob.bytes.length} bytes`);
  const { sdp, session } = decodeBlob(blob.bytes);
  assert.deepEqual(session?.media.map((m) => [m.kind, m.mid, m.rejected ?? false]), [['video', '0', false], ['application', '1', false]]);
  assert.match(sdp, /a=group:BUNDLE 0 1\r\n/);
  assert.match(sdp, /m=application 9 UDP\/DTLS\/SCTP webrtc-datachannel/);
  assert.doesNotMatch(sdp, / 0 UDP/);
  // Firefox's 1 GiB max-message-size travels as its 4 bytes.
  assert.match(sdp, /a=max-message-size:1073741823/);
});

test("Firefox's answer refusing the video (the BUNDLE tag) keeps the refusal in place, not E_SDP_NO_ICE", () => {
  const blob = encodeBlob({ type: 'answer', sdp: FIREFOX_NO_H264 }, { offerId: 9 });
  assert.equal(blob.mode, 'compact', blob.fallbackReasons.join('; '));
  assert.ok(blob.bytes.length <= 72, `${blob.bytes.length} bytes`);
  const { sdp, session } = decodeBlob(blob.text, { expect: 'answer' });
  assert.deepEqual(session?.media.map((m) => [m.kind, m.mid, m.direction, m.rejected ?? false]), [
    ['video', '0', 'inactive', true],
    ['application', '1', 'sendrecv', false],
  ]);
  // The refused section keeps its place, port 0 and no transport; the group and the transport
  // move to the data section, as Firefox wrote them.
  assert.match(sdp, /a=group:BUNDLE 1\r\n/);
  assert.match(sdp, /m=video 0 UDP\/TLS\/RTP\/SAVPF 120\r\nc=IN IP4 0\.0\.0\.0\r\na=mid:0\r\na=inactive\r\na=rtpmap:120 VP8\/90000/);
  const video = sdp.slice(sdp.indexOf('m=video'), sdp.indexOf('m=application'));
  assert.doesNotMatch(video, /ice-ufrag|fingerprint|candidate/);
  assert.match(sdp.slice(sdp.indexOf('m=application')), /a=ice-ufrag:fd839f23/);
  // A fixed point: the rebuilt SDP encodes to the same blob.
  assert.deepEqual(encodeBlob({ type: 'answer', sdp }, { offerId: 9 }).bytes, blob.bytes);
});

test('an answer that refuses every section says so (E_SDP_ALL_REJECTED), not that ICE is missing', () => {
  const allRefused = FIREFOX_NO_H264.replace('m=application 9', 'm=application 0').replace(/a=group:BUNDLE 1\r?\n/, '');
  assert.throws(() => encodeBlob({ type: 'answer', sdp: allRefused }), { code: 'E_SDP_ALL_REJECTED', message: /refused every media section.*video VP8, application/ });
});
