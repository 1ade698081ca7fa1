import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deflateSdp } from '../../src/signal/fallback.ts';
import { encodeFrame } from '../../src/signal/frame.ts';
import { type Run, runCli } from '../harness/index.ts';

const BIN = fileURLToPath(new URL('../../pi-agent/bin/pi-agent.js', import.meta.url));
const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const MIB = 1024 * 1024;

/** One line on stderr naming the code, nothing on stdout, exit 1, no stack. */
function refusedInOneLine(run: Run, code: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr.split('\n').filter(Boolean).length, 1, run.stderr);
  assert.match(run.stderr, code);
  assert.doesNotMatch(run.stderr, /unexpected error|at .*\.[jt]s:\d+/);
}

/** The real bin, fed `total` bytes of `fill` in 1 MiB writes; a pipe closed early is fine. `sent`: what the pipe took. */
function runBinWith(argv: string[], total: number, fill: string): Promise<Run & { sent: number }> {
  const child = spawn(process.execPath, [BIN, ...argv], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The agent stops reading past its limit: EPIPE here is that, not a failure.
  child.stdin.on('error', () => undefined);
  const chunk = Buffer.alloc(MIB, fill);
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !child.stdin.destroyed) {
      const size = Math.min(MIB, total - sent);
      sent += size;
      if (!child.stdin.write(size === MIB ? chunk : chunk.subarray(0, size))) return void child.stdin.once('drain', pump);
    }
    child.stdin.end();
  };
  pump();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, sent })));
}

for (const action of ['decode', 'encode', 'qr']) {
  test(`blob ${action}: 1 MiB + 1 byte on stdin is E_TOO_LARGE, exit 1, one line saying the limit`, async () => {
    const run = await runCli(['blob', action], 'A'.repeat(MIB + 1));
    refusedInOneLine(run, /^pi-agent: E_TOO_LARGE: standard input is over 1 MiB/);
  });
}

test('blob decode: exactly 1 MiB is read, and refused by the codec as over 64 KiB in one line', async () => {
  refusedInOneLine(await runCli(['blob', 'decode'], `pigeon:${'A'.repeat(MIB - 7)}`), /E_TOO_LARGE: .*at most 65536/);
});

test('the bin given 100 MiB on stdin stops reading at 1 MiB: exit 1, one line, no stack', async () => {
  for (const action of ['decode', 'encode']) {
    const run = await runBinWith(['blob', action], 100 * MIB, 'A');
    refusedInOneLine(run, /E_TOO_LARGE: standard input is over 1 MiB/);
    // It stopped reading and exited: the pipe took the limit plus what buffers hold, not 100 MiB.
    assert.ok(run.sent <= 8 * MIB, `blob ${action}: the pipe took ${run.sent / MIB} MiB before the bin closed it`);
  }
});

test('blob decode: junk inside a frame with a good checksum is E_SDP_INVALID, exit 1', async () => {
  const framed = (sdp: string): string =>
    `pigeon:${Buffer.from(encodeFrame({ type: 'offer', mode: 'fallback', offerId: 1, payload: deflateSdp(sdp) })).toString('base64url')}`;
  refusedInOneLine(await runCli(['blob', 'decode'], framed('hello, this is not an SDP')), /E_SDP_INVALID: .*starts "hello/);
  refusedInOneLine(await runCli(['blob', 'decode'], framed('v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n')), /E_SDP_INVALID: .*no media section/);
  refusedInOneLine(await runCli(['blob', 'decode'], framed(SDP.replace(/a=fingerprint:.*\n/g, ''))), /E_SDP_NO_FINGERPRINT/);
  // The same frame around a real SDP decodes.
  assert.equal((await runCli(['blob', 'decode'], framed(SDP))).code, 0);
});
