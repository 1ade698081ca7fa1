/**
 * spawnTied, through a real parent process that is SIGKILLed: with util-linux's setpriv the
 * kernel ends the child; without it (a PATH lacking setpriv) the child is spawned as before.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnTied } from '../../node-common/src/spawn-tied.ts';
import { alive, sleep } from './rtp.ts';

const SPAWN_TIED_TS = fileURLToPath(new URL('../../node-common/src/spawn-tied.ts', import.meta.url));
const which = (tool: string): string => execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();

/** A Node parent that spawns `sleep 60` through spawnTied, prints the child's pid, then idles. */
async function parentWithChild(env: NodeJS.ProcessEnv): Promise<{ parent: ReturnType<typeof spawn>; child: number; args: string }> {
  const script = `
    import { spawnTied } from ${JSON.stringify(SPAWN_TIED_TS)};
    const child = spawnTied('sleep', ['60'], { env: process.env, stdio: 'ignore' });
    child.once('spawn', () => console.log(child.pid));
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: parent.stdout! }).once('line', resolve);
    parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before its child ran`)));
  });
  const child = Number(line);
  // Until setpriv has exec'd the command, the child's argv is setpriv's.
  const cmdline = (): string => readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').trim();
  const until = Date.now() + 5000;
  while (cmdline().startsWith(which('setpriv')) && Date.now() < until) await sleep(10);
  return { parent, child, args: cmdline() };
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (alive(pid) && Date.now() < until) await sleep(10);
  return !alive(pid);
}

test('with setpriv on PATH the child keeps its own argv and dies with a SIGKILLed parent', async () => {
  assert.notEqual(which('setpriv'), '', 'util-linux setpriv is installed (Debian and Raspberry Pi OS ship it)');
  const { parent, child, args } = await parentWithChild(process.env);
  assert.equal(args, 'sleep 60', 'setpriv exec\'d the command: same pid, same argv');
  parent.kill('SIGKILL');
  assert.ok(await goneWithin(child, 2000), 'the child went with its parent');
});

test('without setpriv the child is spawned as is (and outlives a SIGKILLed parent, as before)', async (t) => {
  const bin = mkdtempSync(join(tmpdir(), 'pigeon-no-setpriv-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  symlinkSync(which('sleep'), join(bin, 'sleep'));
  const { parent, child, args } = await parentWithChild({ ...process.env, PATH: bin });
  t.after(() => {
    if (alive(child)) process.kill(child, 'SIGKILL');
  });
  assert.equal(args, 'sleep 60');
  parent.kill('SIGKILL');
  await new Promise((resolve) => parent.once('exit', resolve));
  assert.equal(alive(child), true, 'nothing tied it to its parent');
});

test('a command not on PATH fails with spawn\'s own ENOENT, not setpriv\'s exit code', async () => {
  const child = spawnTied('pigeon-no-such-tool', [], { env: process.env, stdio: 'ignore' });
  const error = await new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
  assert.equal(error.code, 'ENOENT');
});
