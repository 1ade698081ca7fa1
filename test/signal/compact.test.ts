import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCompact, encodeCompact } from '../../src/signal/compact.ts';
import type { Session } from '../../src/signal/model.ts';

const DIGEST = Uint8Array.from({ length: 32 }, (_, i) => i);

// What werift offers the Pi agent's viewers: H.264 sendonly + data channel, one IPv4 host.
const SESSION: Session = {
  ufrag: 'fe20',
  pwd: '89093c840f682f9e1c1657',
  iceLite: false,
  fingerprint: { algorithm: 'sha-256', digest: DIGEST },
  setup: 'actpass',
  candidates: [{ type: 'host', protocol: 'udp', address: '192.0.2.2', port: 60158 }],
  media: [
    {
      kind: 'video',
      mid: '0',
      direction: 'sendonly',
      codecs: [
        {
          name: 'H264',
          payloadType: 96,
          params: { 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': '42e01f' },
        },
      ],
    },
    { kind: 'application', mid: '1', direction: 'sendrecv', codecs: [], sctpPort: 5000, maxMessageSize: 65536 },
  ],
};

const BYTES = Uint8Array.from([
  0b00_0_0_0001, // setup actpass, sha-256, not ice-lite, 1 candidate
  0b1_000_0000, // hex credentials, ufrag 4 (4+0), pwd 22 (22+0)
  0xfe, 0x20, // ufrag "fe20", 4 bits a character
  0x89, 0x09, 0x3c, 0x84, 0x0f, 0x68, 0x2f, 0x9e, 0x1c, 0x16, 0x57, // pwd
  ...DIGEST, // sha-256 digest
  0b00_00_0_00_0, // host, IPv4, udp
  192, 0, 2, 2, // address
  0xea, 0xfe, // port 60158
  0b01_01_0_001, // video, sendonly, default mid, 1 codec
  0x2_8, // H264, packetization-mode 1, profile 42e01f
  96, // payload type
  0b10_00_0_0_01, // application, sendrecv, default mid, sctp-port 5000, max-message-size 64 KiB
]);

test('the werift offer session is 52 bytes of payload, field by field', () => {
  assert.deepEqual(encodeCompact(SESSION), BYTES);
  assert.deepEqual(decodeCompact(BYTES), SESSION);
});

test('base64-alphabet credentials, other hashes, explicit mids and TCP candidates round-trip', () => {
  const session: Session = {
    ...SESSION,
    ufrag: 'nird',
    pwd: 'ZbecFwws0D7EkzdCIlOTLJ32',
    iceLite: true,
    setup: 'active',
    fingerprint: { algorithm: 'sha-384', digest: new Uint8Array(48).fill(7) },
    candidates: [
      { type: 'host', protocol: 'udp', address: 'fd00::2', port: 1 },
      { type: 'srflx', protocol: 'udp', address: '198.51.100.7', port: 65535 },
      { type: 'host', protocol: 'tcp', tcpType: 'passive', address: '11c571ea-3e4c-462a-b72c-3d56cc0480f7.local', port: 9 },
    ],
    media: [
      { kind: 'application', mid: 'data', direction: 'sendrecv', codecs: [], sctpPort: 5001, maxMessageSize: 1234 },
      {
        kind: 'video',
        mid: 'v',
        direction: 'recvonly',
        codecs: [
          { name: 'VP8', payloadType: 96, params: {} },
          { name: 'H264', payloadType: 127, params: { 'level-asymmetry-allowed': '1', 'packetization-mode': '0', 'profile-level-id': '640034' } },
          { name: 'VP9', payloadType: 98, params: { 'profile-id': '2' } },
          { name: 'AV1', payloadType: 45, params: { 'level-idx': '5', profile: '1', tier: '0' } },
        ],
      },
      { kind: 'audio', mid: '2', direction: 'inactive', codecs: [{ name: 'opus', payloadType: 111, params: { minptime: '10', useinbandfec: '1' } }] },
    ],
  };
  assert.deepEqual(decodeCompact(encodeCompact(session)), session);
});

test('long credentials (e.g. pion: 16 + 32 characters) use the escaped length form', () => {
  const session: Session = { ...SESSION, ufrag: 'ABCDEFGHIJKLMNOP', pwd: 'abcdefghijklmnopqrstuvwxyz012345' };
  const bytes = encodeCompact(session);
  // The pwd's 32 fits its four bits (32 - 22 = 10): only the ufrag's length is escaped.
  assert.equal(bytes[1], 0b0_111_1010);
  assert.equal(bytes[2], 16);
  assert.deepEqual(decodeCompact(bytes), session);
});

test('more than six codecs take a count byte', () => {
  const codecs = Array.from({ length: 9 }, (_, i) => ({ name: 'VP8', payloadType: 96 + i, params: {} }));
  const session: Session = { ...SESSION, media: [{ kind: 'video', mid: '0', direction: 'recvonly', codecs }] };
  assert.deepEqual(decodeCompact(encodeCompact(session)), session);
});

test('a refused section is one extension byte: rejected bit, no transport, still in its place', () => {
  const session: Session = {
    ...SESSION,
    media: [
      { kind: 'video', mid: '0', direction: 'inactive', codecs: [{ name: 'VP8', payloadType: 120, params: {} }], rejected: true },
      { kind: 'application', mid: 'data', direction: 'sendrecv', codecs: [], sctpPort: 5000 },
    ],
  };
  const sections = Uint8Array.from([
    0b01_11_1_001, // video, inactive, extended, 1 codec
    0b0_1_000000, // default mid, rejected
    0x0_0, // VP8
    120, // payload type
    0b10_00_1_0_00, // application, sendrecv, extended, sctp-port 5000, no max-message-size
    0b1_0_000000, // explicit mid, not rejected
    4, ...new TextEncoder().encode('data'), // mid
  ]);
  const bytes = encodeCompact(session);
  assert.deepEqual(bytes.slice(bytes.length - sections.length), sections);
  assert.deepEqual(decodeCompact(bytes), session);
});

test('a section extension with unknown bits, or every section refused, is malformed', () => {
  const head = encodeCompact({ ...SESSION, media: [] }).slice();
  const withExt = (ext: number): Uint8Array => Uint8Array.from([...head, 0b10_00_1_0_00, ext]);
  assert.throws(() => decodeCompact(withExt(0x10)), { code: 'E_MALFORMED' });
  assert.throws(() => decodeCompact(withExt(0x00)), { code: 'E_MALFORMED' });
  assert.throws(() => decodeCompact(withExt(0x40)), { code: 'E_MALFORMED', message: /every media section is rejected/ });
});
