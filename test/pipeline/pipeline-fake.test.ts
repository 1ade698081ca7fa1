/**
 * Pipeline's process handling against small fake gst-launch-1.0 / gst-inspect-1.0 scripts
 * (test/fixtures/fake-gst), for the cases real GStreamer cannot show on demand.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pipeline, type PipelineRunOptions } from '../../pi-agent/src/gst/pipeline.ts';
import { buildPipeline, isPipelineError, type PipelineOptions } from '../../pi-agent/src/gst/pipeline-spec.ts';
import { alive, sleep } from './rtp.ts';
import { TEST_OPTIONS } from './options.ts';

const FAKES = fileURLToPath(new URL('../fixtures/fake-gst/', import.meta.url));
const fake = (name: string): string => join(FAKES, name);
const PIPELINE_TS = fileURLToPath(new URL('../../pi-agent/src/gst/pipeline.ts', import.meta.url));

const OPTIONS: PipelineOptions = { ...TEST_OPTIONS, ssrc: 1234 };

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-fake-gst-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A Pipeline that is always stopped when the test ends. */
function pipeline(t: TestContext, options: Partial<PipelineOptions>, run: PipelineRunOptions): Pipeline {
  const p = new Pipeline(buildPipeline({ ...OPTIONS, ...options }), { gstInspect: fake('gst-inspect-1.0'), settleMs: 50, ...run });
  t.after(() => p.stop());
  return p;
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string; stderr: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isPipelineError(error), String(error));
    return { code: error.code, message: error.message, stderr: error.stderr };
  }
  assert.fail('expected a rejection');
}

const pidIn = (file: string): number => Number(readFileSync(file, 'utf8').trim());

/** The pid a fake writes once it runs, waited for up to 10 s (a loaded machine is slow to spawn). */
async function pidOnceWritten(file: string): Promise<number> {
  const until = Date.now() + 10_000;
  while (!(existsSync(file) && pidIn(file) > 0) && Date.now() < until) await sleep(20);
  return pidIn(file);
}

test('a child that exits at once: start() rejects with E_GST_EXIT carrying its stderr', async (t) => {
  const p = pipeline(t, {}, { gstLaunch: fake('gst-fail') });
  const exits: unknown[][] = [];
  p.on('exit', (...args) => exits.push(args));
  const error = await rejection(p.start());
  assert.equal(error.code, 'E_GST_EXIT');
  assert.match(error.message, /exited with code 1 before the pipeline was playing: WARNING: erroneous pipeline: no property "bogus"/);
  assert.match(error.stderr ?? '', /no property "bogus" in element "videotestsrc0"/);
  assert.deepEqual(exits, [[1, null, error.stderr]]);
  assert.equal(p.state, 'failed');
  assert.equal(p.pid, undefined);
});

test('libcamera and hailo (no camera or Hailo here): gst-launch gets exactly spec.args', async (t) => {
  const dir = scratch(t);
  for (const source of ['libcamera', 'hailo'] as const) {
    const argvFile = join(dir, `${source}.argv`);
    const spec = buildPipeline({ ...OPTIONS, source, hef: '/models/yolo v8 "s".hef' });
    // The element check is the real one's job (test/pipeline/elements.test.ts).
    const p = new Pipeline(spec, {
      gstLaunch: fake('gst-launch-1.0'),
      checkElements: false,
      env: { ...process.env, FAKE_GST_ARGV: argvFile },
      settleMs: 50,
    });
    t.after(() => p.stop());
    const started = new Promise<number>((resolve) => p.once('started', resolve));
    await p.start();
    assert.equal(p.state, 'running');
    assert.equal(await started, p.pid);
    assert.deepEqual(readFileSync(argvFile, 'utf8').split('\n').slice(0, -1), spec.args);
    await p.stop();
    assert.equal(p.state, 'stopped');
  }
});

test('a missing element is reported by name and package before anything is spawned', async (t) => {
  const dir = scratch(t);
  const argvFile = join(dir, 'argv');
  const p = pipeline(t, { source: 'hailo', hef: '/m.hef' }, {
    gstLaunch: fake('gst-launch-1.0'),
    env: { ...process.env, FAKE_GST_MISSING: 'hailonet hailofilter', FAKE_GST_ARGV: argvFile },
  });
  const error = await rejection(p.start());
  assert.equal(error.code, 'E_GST_MISSING');
  assert.equal(
    error.message.split('\n').slice(0, 2).join('\n'),
    'GStreamer element hailonet is missing: install hailo-all (Raspberry Pi OS, then reboot): sudo apt install hailo-all\n' +
      'GStreamer element hailofilter is missing: install hailo-all (Raspberry Pi OS, then reboot): sudo apt install hailo-all',
  );
  assert.throws(() => readFileSync(argvFile), /ENOENT/, 'gst-launch never ran');
});

test('gst-launch-1.0 or gst-inspect-1.0 not installed: E_GST_NOT_INSTALLED names the package', async (t) => {
  const noLaunch = pipeline(t, {}, { gstLaunch: '/nonexistent/gst-launch-1.0' });
  const launch = await rejection(noLaunch.start());
  assert.equal(launch.code, 'E_GST_NOT_INSTALLED');
  assert.match(launch.message, /sudo apt install gstreamer1.0-tools/);

  const noInspect = pipeline(t, {}, { gstLaunch: fake('gst-launch-1.0'), gstInspect: '/nonexistent/gst-inspect-1.0' });
  const inspect = await rejection(noInspect.start());
  assert.equal(inspect.code, 'E_GST_NOT_INSTALLED');
  assert.match(inspect.message, /gstreamer1.0-tools/);
});

test('a child that prints nothing and ignores SIGINT: stop() SIGKILLs it and start() rejects', async (t) => {
  const dir = scratch(t);
  const pidFile = join(dir, 'pid');
  const p = pipeline(t, {}, { gstLaunch: fake('gst-silent'), env: { ...process.env, FAKE_GST_PID: pidFile }, stopTimeoutMs: 300 });
  const exited = new Promise<unknown[]>((resolve) => p.once('exit', (...args) => resolve(args)));
  const starting = rejection(p.start());
  const pid = await pidOnceWritten(pidFile);
  assert.ok(alive(pid));
  assert.equal(p.pid, pid);
  const stopAt = Date.now();
  await p.stop();
  assert.ok(Date.now() - stopAt >= 250, 'SIGINT was ignored, so it took the SIGKILL');
  assert.equal(alive(pid), false);
  assert.deepEqual((await exited).slice(0, 2), [null, 'SIGKILL']);
  const error = await starting;
  assert.equal(error.code, 'E_GST_START');
  assert.match(error.message, /stopped before it was playing/);
  assert.equal(p.state, 'stopped');
});

test('a child that never reaches PLAYING: start() gives up after startTimeoutMs and kills it', async (t) => {
  const dir = scratch(t);
  const pidFile = join(dir, 'pid');
  const p = pipeline(t, {}, { gstLaunch: fake('gst-silent'), env: { ...process.env, FAKE_GST_PID: pidFile }, startTimeoutMs: 400, stopTimeoutMs: 200 });
  const error = await rejection(p.start());
  assert.equal(error.code, 'E_GST_START');
  assert.match(error.message, /did not reach PLAYING within 400 ms/);
  assert.equal(alive(pidIn(pidFile)), false);
  assert.equal(p.pid, undefined);
});

test('a child that keeps dying is restarted with doubling delays until stop()', async (t) => {
  const p = pipeline(t, {}, { gstLaunch: fake('gst-dies'), restart: { initialMs: 40, maxMs: 100 }, env: { ...process.env, FAKE_GST_LIFETIME: '0.1' } });
  const restarts: number[][] = [];
  const exits: unknown[][] = [];
  let starts = 0;
  p.on('restarting', (attempt, delayMs) => restarts.push([attempt, delayMs]));
  p.on('exit', (...args) => exits.push(args));
  p.on('started', () => starts++);
  await p.start();
  while (restarts.length < 4) await sleep(20);
  await p.stop();
  assert.deepEqual(restarts.slice(0, 4), [
    [1, 40],
    [2, 80],
    [3, 100],
    [4, 100],
  ]);
  assert.ok(starts >= 4, `started ${starts} times`);
  assert.equal(exits[0]![0], 1);
  assert.match(String(exits[0]![2]), /Internal data stream error/);
  const settled = restarts.length;
  await sleep(250);
  assert.equal(restarts.length, settled, 'no restart after stop()');
  assert.equal(p.state, 'stopped');
});

test('restart: false turns a death into an error event', async (t) => {
  const p = pipeline(t, {}, { gstLaunch: fake('gst-dies'), restart: false });
  const failed = new Promise<Error & { code?: string }>((resolve) => p.once('failed', resolve));
  await p.start();
  const error = await failed;
  assert.equal(error.code, 'E_GST_EXIT');
  assert.match(error.message, /the pipeline died \(.*gst-dies exited with code 1\): ERROR: from element/);
  assert.equal(p.state, 'failed');
});

test('aborting the signal stops the child', async (t) => {
  const dir = scratch(t);
  const pidFile = join(dir, 'pid');
  const controller = new AbortController();
  const p = pipeline(t, {}, { gstLaunch: fake('gst-launch-1.0'), env: { ...process.env, FAKE_GST_PID: pidFile }, signal: controller.signal });
  await p.start();
  const pid = pidIn(pidFile);
  const exited = new Promise((resolve) => p.once('exit', resolve));
  controller.abort();
  await exited;
  assert.equal(alive(pid), false);
  await assert.rejects(p.start(), /aborted/);
});

test('the child dies with the agent: process exit SIGKILLs it', async (t) => {
  const dir = scratch(t);
  const pidFile = join(dir, 'pid');
  const script = `
    import { Pipeline } from ${JSON.stringify(PIPELINE_TS)};
    const p = new Pipeline({ args: [], elements: [], description: '' }, { gstLaunch: ${JSON.stringify(fake('gst-silent'))}, checkElements: false, startTimeoutMs: 60000 });
    p.start().catch(() => {});
    setTimeout(() => process.exit(0), 500);`;
  const agent = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, FAKE_GST_PID: pidFile },
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(agent.status, 0, agent.stderr);
  const pid = pidIn(pidFile);
  const until = Date.now() + 2000;
  while (alive(pid) && Date.now() < until) await sleep(10);
  assert.equal(alive(pid), false, 'the ignored-SIGINT fake was SIGKILLed when its parent exited');
});
