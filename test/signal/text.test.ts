import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToText, readText } from '../../src/signal/text.ts';
import { errorCode } from './error-code.ts';

const textToBytes = (input: string): Uint8Array => readText(input).bytes;

test('text form is pigeon: + unpadded base64url, the same as Node computes', () => {
  for (let length = 0; length < 70; length++) {
    const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + length) & 0xff);
    const text = bytesToText(bytes);
    assert.equal(text, `pigeon:${Buffer.from(bytes).toString('base64url')}`);
    if (length > 0) assert.deepEqual(textToBytes(text), bytes);
  }
});

test('pasting is forgiving: spaces, line breaks, a URL around it, upper-case prefix', () => {
  const bytes = Uint8Array.from([0xa9, 1, 2, 3, 4, 5, 250, 251]);
  const text = bytesToText(bytes);
  assert.deepEqual(textToBytes(`  ${text.slice(0, 10)}\n ${text.slice(10)}\r\n`), bytes);
  assert.deepEqual(textToBytes(`https://example.invalid/pigeon/#${text}`), bytes);
  assert.deepEqual(textToBytes(text.replace('pigeon:', 'PIGEON:')), bytes);
  assert.deepEqual(textToBytes(text.slice('pigeon:'.length)), bytes);
});

test('text errors: not ours, cut short, or a character base64url does not have', () => {
  const code = (input: string): string => errorCode(() => textToBytes(input));
  assert.equal(code(''), 'E_NOT_PIGEON');
  assert.equal(code('hello world, this is a note'), 'E_NOT_PIGEON');
  // Nine letters are no length of base64, but without a prefix that makes them no code, not a cut-short one.
  assert.equal(code('sentinels'), 'E_NOT_PIGEON');
  assert.equal(code('pigeon:'), 'E_TRUNCATED');
  assert.equal(code('pigeon:qRI0O'), 'E_TRUNCATED');
  assert.equal(code('pigeon:qRI0+gGA'), 'E_CHECKSUM');
});
