import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { AddressWatch, hostAddresses } from '../../pi-agent/src/webrtc/addresses.ts';
import { eventually } from '../harness/index.ts';

const info = (address: string, internal = false): NetworkInterfaceInfo =>
  address.includes(':')
    ? { address, internal, family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', cidr: null, scopeid: 0 }
    : { address, internal, family: 'IPv4', netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null };

test('hostAddresses: every interface’s non-loopback addresses, sorted, once each, IPv6 without its zone', () => {
  const read = (): NodeJS.Dict<NetworkInterfaceInfo[]> => ({
    lo: [info('127.0.0.1', true), info('::1', true)],
    wlan0: [info('192.168.1.20'), info('fe80::1%wlan0')],
    eth0: [info('10.0.0.5'), info('192.168.1.20')],
  });
  assert.deepEqual(hostAddresses(read), ['10.0.0.5', '192.168.1.20', 'fe80::1']);
});

test('AddressWatch says once when the addresses change, and not while they stay put', async (t) => {
  let now: NodeJS.Dict<NetworkInterfaceInfo[]> = { eth0: [info('10.0.0.5')] };
  const watch = new AddressWatch(10, () => now);
  const seen: (readonly string[])[] = [];
  watch.on('changed', (addresses) => seen.push(addresses));
  watch.start();
  t.after(() => watch.stop());
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(seen, [], 'no change, nothing said');
  now = { eth0: [info('10.0.0.7')] };
  assert.deepEqual(await eventually(() => seen.slice(), (s) => s.length > 0, 2000), [['10.0.0.7']]);
  now = { eth0: [] };
  assert.deepEqual(await eventually(() => seen.slice(), (s) => s.length > 1, 2000), [['10.0.0.7'], []]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(seen.length, 2, 'said once per change');
});
