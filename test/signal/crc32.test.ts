import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from '../../src/signal/crc32.ts';

test('crc32 matches the IEEE check value and zlib on known inputs', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
  assert.equal(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog')), 0x414fa339);
});
