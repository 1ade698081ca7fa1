import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runBin, runCli } from '../harness/index.ts';

const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const REBUILT = readFileSync(new URL('../fixtures/werift-offer.rebuilt.sdp', import.meta.url), 'utf8');
const QR = readFileSync(new URL('../fixtures/werift-offer.qr.txt', import.meta.url), 'utf8');

test('npx pi-agent --help works from the repo root and lists the blob command', () => {
  const run = runBin(['--help']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Usage: pi-agent <command>/);
  assert.match(run.stdout, /blob encode\|decode\|qr/);
});

test('every --help the help mentions, and -h, exit 0 with a usage', async () => {
  const top = await runCli(['--help']);
  const pointed = [...top.stdout.matchAll(/"pi-agent ([^"]+)"/g)].map((m) => m[1]!.split(' '));
  assert.deepEqual(pointed, [
    ['offer', '--help'],
    ['blob', '--help'],
  ]);
  const cases = [['-h'], ['help'], ...pointed, ['answer', '--help'], ['offer', '-h'], ['blob', '-h'], ['blob', 'encode', '--help'], ['blob', 'decode', '-h'], ['blob', 'qr', '--help']];
  for (const argv of cases) {
    const run = await runCli(argv);
    assert.equal(run.code, 0, `${argv.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout, /^Usage: pi-agent /, argv.join(' '));
    assert.equal(run.stderr, '', argv.join(' '));
  }
  assert.match((await runCli(['blob', '--help'])).stdout, /^Usage: pi-agent blob <encode\|decode\|qr>/);
});

test('blob encode prints the text blob and a size summary; decode gives the rebuilt SDP', async () => {
  const encoded = await runCli(['blob', 'encode', '--offer-id', '4660'], SDP);
  assert.equal(encoded.code, 0, encoded.stderr);
  assert.match(encoded.stdout, /^pigeon:[A-Za-z0-9_-]{88}\n$/);
  assert.equal(encoded.stderr, 'offer, compact, 66 bytes, QR version 5 (ECC M)\n');
  const decoded = await runCli(['blob', 'decode', '--expect', 'offer'], encoded.stdout);
  assert.equal(decoded.code, 0, decoded.stderr);
  assert.equal(decoded.stdout, REBUILT);
});

test('--json on both sides, and RTCSessionDescription JSON as input', async () => {
  const encoded = await runCli(['blob', 'encode', '--json'], JSON.stringify({ type: 'answer', sdp: SDP }));
  const info = JSON.parse(encoded.stdout) as Record<string, unknown>;
  assert.deepEqual(
    { ...info, text: typeof info.text },
    { type: 'answer', mode: 'compact', offerId: null, bytes: 64, chars: 93, qrVersion: 5, text: 'string', fallbackReasons: [] },
  );
  const decoded = JSON.parse((await runCli(['blob', 'decode', '--json'], String(info.text))).stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(decoded), ['type', 'mode', 'offerId', 'bytes', 'sdp']);
  assert.equal(decoded.type, 'answer');
  assert.equal(decoded.bytes, 64);
});

test('blob qr prints the terminal QR of the frame bytes (no colour when not a terminal)', async () => {
  const encoded = await runCli(['blob', 'encode', '--offer-id', '4660'], SDP);
  const qr = await runCli(['blob', 'qr'], encoded.stdout);
  assert.equal(qr.code, 0, qr.stderr);
  assert.equal(qr.stdout, QR);
});

test('bad input: a clear message with its code, exit 1, nothing on stdout', async () => {
  const encoded = await runCli(['blob', 'encode'], SDP);
  const cases: [string[], string, RegExp][] = [
    [['blob', 'decode'], encoded.stdout.slice(0, 50), /E_TRUNCATED: This code is cut short/],
    [['blob', 'decode'], 'hello there', /E_NOT_PIGEON/],
    [['blob', 'decode', '--expect', 'answer'], encoded.stdout, /E_EXPECTED_ANSWER/],
    [['blob', 'qr'], encoded.stdout.replace(/.$/m, (c) => (c === 'A' ? 'B' : 'A')), /E_CHECKSUM/],
    [['blob', 'encode'], 'v=0\r\n', /E_SDP_INVALID/],
    [['blob', 'encode'], SDP.replace(/a=fingerprint.*\n/g, ''), /E_SDP_NO_FINGERPRINT/],
    [['blob', 'encode'], '', /standard input is empty/],
    [['blob', 'encode'], '{"sdp": 1', /not valid JSON/],
  ];
  for (const [argv, stdin, message] of cases) {
    const run = await runCli(argv, stdin);
    assert.equal(run.code, 1, `${argv.join(' ')}: ${run.stderr}`);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/, 'no stack trace for a known error');
  }
});

test('usage errors exit 2 and say what is accepted', async () => {
  const cases: [string[], RegExp][] = [
    [['blob', 'encode', '--mode', 'tiny'], /--mode must be auto, compact or fallback/],
    [['blob', 'encode', '--offer-id', '70000'], /--offer-id must be a whole number from 0 to 65535/],
    [['blob', 'decode', '--expect', 'maybe'], /--expect must be "offer" or "answer"/],
    [['blob', 'frobnicate'], /unknown blob action "frobnicate"/],
    [['blob', 'encode', 'decode'], /one blob action at a time, not "encode decode"/],
    [['blob', 'encode', '--bogus'], /Unknown option '--bogus'/],
    [['launch'], /unknown command "launch"/],
  ];
  for (const [argv, message] of cases) {
    const run = await runCli(argv, '');
    assert.equal(run.code, 2, argv.join(' '));
    assert.match(run.stderr, message);
  }
});

test('blob encode leaves out the TCP and IPv6 candidates of a webrtcbin offer, says so, and keeps them when asked', async () => {
  const sdp = readFileSync(new URL('../fixtures/webrtcbin-offer-held-out.sdp', import.meta.url), 'utf8');
  const encoded = await runCli(['blob', 'encode'], sdp);
  assert.equal(encoded.code, 0, encoded.stderr);
  assert.equal(encoded.stderr, 'offer, compact, 100 bytes, QR version 6 (ECC M)\nleft out 6 TCP candidates (--keep-tcp), 2 IPv6 candidates (--keep-ipv6)\n');
  const decoded = await runCli(['blob', 'decode'], encoded.stdout);
  assert.deepEqual(decoded.stdout.match(/^a=candidate:.*$/gm), ['a=candidate:1 1 udp 2130706431 192.0.2.2 49802 typ host generation 0']);
  const kept = await runCli(['blob', 'encode', '--keep-ipv6', '--keep-tcp', '--json'], sdp);
  assert.equal(kept.code, 0, kept.stderr);
  const json = JSON.parse(kept.stdout) as { bytes: number; text: string };
  assert.equal(json.bytes, 229);
  assert.doesNotMatch(kept.stderr, /left out/);
  assert.equal((await runCli(['blob', 'decode'], json.text)).stdout.match(/^a=candidate:/gm)?.length, 9);
});
