import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, mdnsFromBytes, mdnsToBytes } from '../../src/signal/ip.ts';

test('IPv6 text round-trips through 16 bytes in RFC 5952 form', () => {
  const cases: [string, string][] = [
    ['fd00::2', 'fd00::2'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
  ];
  for (const [input, canonical] of cases) {
    const bytes = ipv6ToBytes(input);
    assert.ok(bytes, input);
    assert.equal(ipv6FromBytes(bytes), canonical);
  }
  for (const bad of ['1::2::3', '1:2:3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9']) assert.equal(ipv6ToBytes(bad), undefined, bad);
});

test('IPv4 and browser mDNS names have fixed-size forms', () => {
  assert.deepEqual(ipv4ToBytes('192.0.2.254'), Uint8Array.from([192, 0, 2, 254]));
  assert.equal(ipv4ToBytes('256.1.1.1'), undefined);
  assert.equal(ipv4ToBytes('1.2.3'), undefined);
  const name = '11c571ea-3e4c-462a-b72c-3d56cc0480f7.local';
  const bytes = mdnsToBytes(name.toUpperCase().replace('.LOCAL', '.local'));
  assert.equal(bytes?.length, 16);
  assert.equal(mdnsFromBytes(bytes!), name);
  assert.equal(mdnsToBytes('raspberrypi.local'), undefined);
});
