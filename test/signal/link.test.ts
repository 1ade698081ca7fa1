import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import jsQR from 'jsqr';
import { qrMatrix } from '../../src/qr/matrix.ts';
import { linkSegments } from '../../src/qr/link-segments.ts';
import { decodeBlob, encodeBlob, frameToLink } from '../../src/signal/index.ts';
import { readText } from '../../src/signal/text.ts';
import { errorCode } from './error-code.ts';

const offerSdp = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
/** The two link forms the README measures: a Pi's LAN address with a port, a 30-character https host. */
const LAN = 'http://192.168.1.20:8080/';
const HOSTED = 'https://pigeon.robotlab-42.example.org/';

/** What a camera app reads out of the code: the QR's text, through jsqr, as a phone would. */
function readBack(link: string): string {
  const matrix = qrMatrix(linkSegments(link));
  const scale = 4;
  const side = (matrix.size + 8) * scale;
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const mx = Math.floor(x / scale) - 4;
      const my = Math.floor(y / scale) - 4;
      if (mx >= 0 && my >= 0 && mx < matrix.size && my < matrix.size && matrix.dark(mx, my)) rgba.fill(0, (y * side + x) * 4, (y * side + x) * 4 + 3);
    }
  }
  const code = jsQR(rgba, side, side);
  assert.ok(code, 'the link QR reads back');
  return code.data;
}

test('a link carries the frame in its fragment as digits, and decodes like the text form', () => {
  const blob = encodeBlob({ type: 'offer', sdp: offerSdp }, { offerId: 513 });
  for (const page of [LAN, HOSTED, 'https://example.org/pigeon/index.html#old']) {
    const link = frameToLink(page, blob.bytes);
    assert.match(link, /#P:\d+$/);
    assert.ok(!link.includes('#old'), 'the page URL’s own fragment is replaced');
    assert.deepEqual(decodeBlob(link).frame, blob.bytes);
    assert.deepEqual(decodeBlob(link.slice(link.indexOf('#') + 1)).frame, blob.bytes, 'the bare fragment, as the page reads it');
    assert.equal(decodeBlob(link, { expect: 'offer' }).offerId, 513);
  }
  // Leading zero bytes survive the trip through one big number.
  const zeros = Uint8Array.from([0, 0, 7, 0]);
  assert.match(frameToLink(LAN, zeros), /#P:\d+$/);
  assert.deepEqual([...(decodeBlob(`${frameToLink(LAN, blob.bytes)}`).frame)], [...blob.bytes]);
});

test('damaged link digits are refused with the codec’s own codes', () => {
  const blob = encodeBlob({ type: 'offer', sdp: offerSdp }, { offerId: 9 });
  const link = frameToLink(LAN, blob.bytes);
  const last = link.at(-1) === '1' ? '2' : '1';
  assert.equal(errorCode(() => decodeBlob(link.slice(0, -1) + last)), 'E_CHECKSUM');
  assert.equal(errorCode(() => decodeBlob(`${LAN}#P:0`)), 'E_CHECKSUM');
  assert.equal(errorCode(() => decodeBlob(`${LAN}#P:${'9'.repeat(5000)}`)), 'E_TOO_LARGE');
});

test('link QR versions (ECC M): a LAN address and a 30-character https host stay at version 6', () => {
  assert.equal(new URL(HOSTED).host.length, 30);
  // The agent's offers are 66–68 bytes (H.264 + VP8, one IPv4 address); 72 leaves room for a second.
  for (const size of [66, 68, 72]) {
    const frame = Uint8Array.from({ length: size }, (_, i) => (i * 151 + 7) & 0xff);
    const versions = Object.fromEntries(
      [LAN, HOSTED].map((page) => {
        const link = frameToLink(page, frame);
        const read = readBack(link);
        assert.equal(read.toLowerCase(), link.toLowerCase(), 'the camera app gets the link (scheme and host upper-cased)');
        assert.deepEqual(readText(read).bytes, frame);
        return [page, qrMatrix(linkSegments(link)).version];
      }),
    );
    const plain = qrMatrix(`${LAN}#pigeon:${Buffer.from(frame).toString('base64url')}`).version;
    console.log(`link QR versions for a ${size}-byte offer: ${JSON.stringify(versions)}; as #pigeon: text: ${plain}`);
    assert.ok(versions[LAN]! <= 6 && versions[HOSTED]! <= 6, `${size} B: ${JSON.stringify(versions)}`);
    assert.ok(plain >= 7, `the same link as #pigeon: text in byte mode is version ${plain}`);
    // The answer QR the Pi's camera reads is the blob alone, unchanged.
    assert.ok(qrMatrix(frame).version <= 5 || size > 68);
  }
});

test('links the segmenter cannot improve on go in byte mode whole', () => {
  for (const link of ['http://[fe80::1]:8080/#P:123', 'https://user@example.org/', 'not a url']) {
    assert.deepEqual(linkSegments(link).map((s) => s.mode), ['byte']);
  }
  assert.deepEqual(linkSegments('https://example.org/Pigeon/#P:12345').map((s) => s.mode), ['alphanumeric', 'byte', 'numeric']);
  assert.deepEqual(linkSegments('http://10.0.0.2:8080/#P:12345').map((s) => s.mode), ['alphanumeric', 'byte', 'numeric']);
});
