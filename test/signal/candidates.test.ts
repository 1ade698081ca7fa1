import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { decodeCompact, encodeCompact } from '../../src/signal/compact.ts';
import { decodeFrame } from '../../src/signal/frame.ts';
import type { Session } from '../../src/signal/model.ts';

/*
 * Which candidates a blob carries. The fixtures are real GStreamer webrtcbin offers (gathered on a
 * machine with 192.0.2.2, fd00::2 and fe80::fc:ff:fe00:1): nine candidates each, UDP and both
 * TCP kinds per address. The second one is held out: nothing here was tuned on it.
 */
const WEBRTCBIN = readFileSync(new URL('../fixtures/webrtcbin-offer.sdp', import.meta.url), 'utf8');
const HELD_OUT = readFileSync(new URL('../fixtures/webrtcbin-offer-held-out.sdp', import.meta.url), 'utf8');

const candidatesOf = (sdp: string): string[] => sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
const addressesOf = (sdp: string): string[] => candidatesOf(sdp).map((l) => `${l.split(' ')[2]!.toLowerCase()} ${l.split(' ')[4]}`);

test('the fixtures are what they say: webrtcbin offers with nine candidates, TCP and IPv6 among them', () => {
  for (const sdp of [WEBRTCBIN, HELD_OUT]) {
    assert.equal(candidatesOf(sdp).length, 9);
    assert.equal(candidatesOf(sdp).filter((l) => / TCP /.test(l)).length, 6);
    assert.equal(candidatesOf(sdp).filter((l) => /:/.test(l.split(' ')[4]!)).length, 6);
  }
});

test('the held-out webrtcbin offer without IPv6 fits in 100 bytes (QR version 6) and keeps its one usable candidate', () => {
  const blob = encodeBlob({ type: 'offer', sdp: HELD_OUT }, { ipv6: 'drop' });
  assert.equal(blob.mode, 'compact', blob.fallbackReasons.join('; '));
  assert.ok(blob.bytes.length <= 100, `${blob.bytes.length} bytes`);
  const rebuilt = decodeBlob(blob.text, { expect: 'offer' }).sdp;
  assert.deepEqual(addressesOf(rebuilt), ['udp 192.0.2.2']);
  assert.match(rebuilt, /^a=mid:video0$/m);
  assert.match(rebuilt, /^a=ice-ufrag:kr53ToCcGMJr4\+6RE0P24Lf2v7CvlS1G$/m);
});

test('TCP candidates are left out by default, IPv6 ones kept; each comes back when asked', () => {
  const usual = decodeBlob(encodeBlob({ type: 'offer', sdp: WEBRTCBIN }).text).sdp;
  assert.deepEqual(addressesOf(usual), ['udp fe80::fc:ff:fe00:1', 'udp fd00::2', 'udp 192.0.2.2']);
  const all = decodeBlob(encodeBlob({ type: 'offer', sdp: WEBRTCBIN }, { tcp: 'keep', ipv6: 'keep' }).text).sdp;
  assert.equal(candidatesOf(all).length, 9);
  assert.equal(candidatesOf(all).filter((l) => / tcp /.test(l)).length, 6);
  const v4 = decodeBlob(encodeBlob({ type: 'offer', sdp: WEBRTCBIN }, { tcp: 'keep', ipv6: 'drop' }).text).sdp;
  assert.deepEqual(addressesOf(v4).sort(), ['tcp 192.0.2.2', 'tcp 192.0.2.2', 'udp 192.0.2.2']);
});

test('a fallback blob leaves out the same candidates as a compact one', () => {
  const blob = encodeBlob({ type: 'offer', sdp: WEBRTCBIN }, { mode: 'fallback', ipv6: 'drop' });
  assert.equal(blob.mode, 'fallback');
  const rebuilt = decodeBlob(blob.text).sdp;
  assert.deepEqual(addressesOf(rebuilt), ['udp 192.0.2.2']);
  const kept = decodeBlob(encodeBlob({ type: 'offer', sdp: WEBRTCBIN }, { mode: 'fallback', tcp: 'keep' }).text).sdp;
  assert.equal(candidatesOf(kept).length, 9);
});

const LIBNICE: Session = {
  ufrag: 'fzdOeJ/lxVOsRVd6Lacsv5eBN2MlaTp8', // 32 characters, as libnice makes them
  pwd: 'Soe//nxZCz5pwWmpmOZKvDIysXHd8DE3', // 32
  iceLite: false,
  fingerprint: { algorithm: 'sha-256', digest: new Uint8Array(32).fill(7) },
  setup: 'actpass',
  candidates: [{ type: 'host', protocol: 'udp', address: '192.0.2.2', port: 48882 }],
  media: [
    { kind: 'video', mid: 'video0', direction: 'sendonly', codecs: [{ name: 'H264', payloadType: 96, params: { 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': '42e01f' } }] },
    { kind: 'video', mid: 'video1', direction: 'sendonly', codecs: [{ name: 'VP8', payloadType: 97, params: {} }] },
  ],
};

test("a 32-character ufrag with a pwd that fits takes one length byte; webrtcbin's `video0` mids take none", () => {
  const payload = encodeCompact(LIBNICE);
  assert.equal(payload[0], 0b00_0_0_0001, 'actpass, sha-256, not ice-lite, one candidate');
  assert.equal(payload[1], 0b0_111_1010, 'base64 alphabet, ufrag escaped, pwd 32 - 22 = 10');
  assert.equal(payload[2], 32, "the ufrag's length; no pwd length follows");
  // 64 characters at 6 bits are 48 bytes, then the 32-byte digest and the 7-byte candidate.
  const section = 3 + 48 + 32 + 7;
  assert.equal(payload[section], 0b01_01_1_001, 'video, sendonly, extended, one codec');
  assert.equal(payload[section + 1], 0b001_00000, 'kind-mid: the mid is "video" and its index');
  assert.equal(payload.length, section + 4 + 4, 'two sections: head, extension, codec byte, payload type each');
  assert.deepEqual(decodeCompact(payload), LIBNICE);
});

test('a mid like a kind with another index is spelled out, and both escapes still read as before', () => {
  const other: Session = { ...LIBNICE, ufrag: 'abcd', pwd: 'x'.repeat(40), media: [{ ...LIBNICE.media[0]!, mid: 'video1' }, { ...LIBNICE.media[1]!, mid: 'video0' }] };
  const payload = encodeCompact(other);
  assert.equal(payload[1], 0b0_111_1111, 'pwd over 36: both lengths follow');
  assert.deepEqual([payload[2], payload[3]], [4, 40]);
  assert.deepEqual(decodeCompact(payload), other);
});

test('a pwd escaped alone is still refused as malformed, and kind-mid with an explicit mid too', () => {
  const payload = encodeCompact(LIBNICE);
  const halfPwd = Uint8Array.from(payload);
  halfPwd[1] = 0b0_010_1111; // ufrag 6, pwd escaped alone
  assert.throws(() => decodeCompact(halfPwd), { code: 'E_MALFORMED' });
  const both = Uint8Array.from(payload);
  both[3 + 48 + 32 + 7 + 1] = 0b101_00000;
  assert.throws(() => decodeCompact(both), { code: 'E_MALFORMED' });
});

test("Pigeon's own blobs are byte for byte as before (werift's numeric mids, short credentials)", () => {
  const werift = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
  const qr = readFileSync(new URL('../fixtures/werift-offer.qr.txt', import.meta.url), 'utf8');
  const blob = encodeBlob({ type: 'offer', sdp: werift }, { offerId: 4660 });
  assert.equal(decodeFrame(blob.bytes).mode, 'compact');
  assert.ok(qr.length > 0);
  assert.equal(blob.bytes.length, 66);
});
