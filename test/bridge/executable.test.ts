import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AgentProcess, BridgeProcess, WsPage } from '../harness/index.ts';

/*
 * docs/tauri.md ships the bridge to a Tauri app as one executable (Node's single executable
 * applications). Built here by the script the doc names, it must do what `npx pigeon-bridge`
 * does: the URL first, a page gets the agent's video through it, and it stops when told.
 */
const BUILD = fileURLToPath(new URL('../../scripts/build-bridge-exe.sh', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'pigeon-bridge-exe-'));
const processes: { stop(): Promise<unknown> }[] = [];
after(async () => {
  await Promise.allSettled(processes.map((p) => p.stop()));
  await rm(dir, { recursive: true, force: true });
});

test('the single executable built by scripts/build-bridge-exe.sh bridges a live agent to a page, and stops on SIGTERM', async (t) => {
  const built = await promisify(execFile)(BUILD, [join(dir, 'pigeon-bridge')], { timeout: 300_000 });
  const exe = built.stdout.trim();
  t.diagnostic(built.stderr.trim().split('\n').at(-1) ?? '');
  const version = await promisify(execFile)(exe, ['--version']);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);

  // The WebRTC library's binary ships beside the executable; moved away, the executable says where
  // it looked, and PIGEON_ENGINE_BINARY names the new place (a Tauri app's resource folder).
  const beside = join(dirname(exe), 'node_datachannel.node');
  const moved = join(dir, 'elsewhere.node');
  await rename(beside, moved);
  const missing = await promisify(execFile)(exe, ['--version']).then(
    () => assert.fail('the executable started without the library beside it'),
    (error: { code?: number; stderr?: string }) => error,
  );
  assert.equal(missing.code, 70);
  const said = missing.stderr ?? '';
  assert.ok(said.startsWith('pigeon-bridge: E_ENGINE_LOAD: ') && said.includes(beside) && said.includes('PIGEON_ENGINE_BINARY'), `one line naming the path looked at: ${said}`);
  t.diagnostic(`without the binary: ${(missing.stderr ?? '').trim().slice(0, 200)}`);
  const named = await promisify(execFile)(exe, ['--version'], { env: { ...process.env, PIGEON_ENGINE_BINARY: moved } });
  assert.match(named.stdout, /^\d+\.\d+\.\d+/);
  await rename(moved, beside);

  const agent = new AgentProcess(['offer', '--source', 'test', '--stats-interval', '0']);
  const bridge = new BridgeProcess([], exe);
  processes.push(agent, bridge);
  const offer = await agent.next('offer');
  const page = await WsPage.open(await bridge.url, { origin: 'tauri://localhost' });
  page.send({ v: 1, type: 'accept', offer: offer.text });
  const answer = await page.next('answer');
  agent.write(answer.text);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  await page.framesUntil(10, 20_000);
  assert.equal(page.frames.find((f) => f.keyframe)?.codec, 'H264');
  assert.equal(await bridge.stop(), 0);
  await agent.next('viewer-left', { where: (e) => e.viewer === offer.offerId, timeoutMs: 5000 });
});
