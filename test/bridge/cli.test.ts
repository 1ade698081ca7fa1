import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../bridge/src/cli.ts';

/** Runs the bridge's CLI in-process; `until` ends a run that started (it gets the stdout so far). */
async function run(argv: string[], until?: (stdout: () => string) => Promise<void>): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const controller = new AbortController();
  const running = main({ argv, stdin: new PassThrough(), stdout, stderr, signal: controller.signal });
  if (until) {
    await until(() => out);
    controller.abort('the test');
  }
  return { code: await running, stdout: out, stderr: err };
}

test('--help says how to run it and what the first line is; --version prints the version', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /ws:\/\/127\.0\.0\.1:PORT\/SECRET/);
  assert.match(help.stdout, /--allow-origin/);
  assert.match((await run(['-v'])).stdout, /^\d+\.\d+\.\d+\n$/);
});

test('bad options exit 2 with the reason and where the options are', async () => {
  for (const [argv, reason] of [
    [['--port', 'eighty'], /--port must be a whole number from 0 to 65535, not "eighty"/],
    [['--linger', '-1'], /--linger/],
    [['--allow-origin', 'https://x.example/path'], /--allow-origin takes an origin/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ] as const) {
    const { code, stderr } = await run([...argv]);
    assert.equal(code, 2, argv.join(' '));
    assert.match(stderr, reason);
    assert.match(stderr, /pigeon-bridge --help/);
  }
});

test('a port that is taken is a clear error, exit 1', async () => {
  let port = 0;
  const first = run(['--json'], async (stdout) => {
    while (!stdout().includes('\n')) await new Promise((resolve) => setTimeout(resolve, 20));
    port = Number(/:(\d+)\//.exec(stdout())?.[1]);
    const second = await run(['--port', String(port)]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`E_LISTEN: could not listen on 127\\.0\\.0\\.1:${port}`));
  });
  const { code, stdout } = await first;
  assert.equal(code, 0);
  const [url, ...events] = stdout.trim().split('\n');
  assert.match(url ?? '', /^ws:\/\/127\.0\.0\.1:\d+\/[\w-]{32}$/);
  assert.deepEqual(events.map((line) => (JSON.parse(line) as { type: string }).type), ['listening', 'stopped']);
});
