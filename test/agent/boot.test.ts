/**
 * The Pi at boot (docs/boot.md): options from the config file the unit reads, checked with each
 * mistake's line and key; the unit's messages matching its stdin; the console kept from blanking.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AgentProcess, agentRig, eventually, runCli } from '../harness/index.ts';

const rig = agentRig();
const BIN = fileURLToPath(new URL('../../pi-agent/bin/pi-agent.js', import.meta.url));
const SHIPPED = fileURLToPath(new URL('../../pi-agent/systemd/agent.conf', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pigeon-boot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('check-config accepts the shipped agent.conf and prints the flags it gives', async () => {
  const run = await runCli(['check-config', SHIPPED]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /: ok; the agent runs as: pi-agent offer --source=auto --encoder=x264 .*--viewers=4/);
  assert.doesNotMatch(run.stdout, /--serve-page|--display/, 'serve-page = no and display = no give no flag');
});

test('check-config names each mistake with its line, its key and what is allowed', async () => {
  const file = conf(
    'bad.conf',
    ['# a comment', 'source = test', 'viewrs = 2', 'display = maybe', 'source = v4l2', 'serve-page = eighty', 'just words', ''].join('\n'),
  );
  const run = await runCli(['check-config', file]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /E_CONFIG/);
  assert.match(run.stderr, new RegExp(`${file}:3: viewrs: is not an option; the keys are the flags of "pi-agent offer" without "--": source, .*viewers`));
  assert.match(run.stderr, new RegExp(`${file}:4: display: must be yes or no \\(or true/false, on/off, 1/0\\), not "maybe"`));
  assert.match(run.stderr, new RegExp(`${file}:5: source: is given twice \\(first on line 2\\)`));
  assert.match(run.stderr, new RegExp(`${file}:6: serve-page: must be a port number, or yes/no`));
  assert.match(run.stderr, new RegExp(`${file}:7: just words: is not "key = value"`));

  // What only the whole file can tell is put on the line of the key it concerns.
  const range = await runCli(['check-config', conf('range.conf', 'source = test\n\nviewers = 99\n')]);
  assert.equal(range.code, 1);
  assert.match(range.stderr, new RegExp(`range.conf:3: viewers: viewers must be a number from 1 to 32, not "99"`));
  const shm = await runCli(['check-config', conf('shm.conf', 'source = shm\n')]);
  assert.match(shm.stderr, /shm.conf:1: source: source shm needs shm PATH/);

  const missing = await runCli(['offer', '--config', join(dir, 'nope.conf')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /E_CONFIG: the config file .*nope.conf does not exist; pi-agent\/systemd\/agent.conf is the one to copy there/);
});

test('offer --config streams with the file\'s options; a flag on the command line wins', async () => {
  const file = conf('run.conf', 'source = test\nwidth = 320\nheight = 240\nfps = 15\nstats-interval = 0\n');
  const agent = rig.startAgent(['offer', '--config', file, '--fps', '10']);
  const ready = await agent.next('ready');
  assert.match(ready.source, /^test /);
  assert.match(ready.pipeline, /^test pattern 320×240@10 /);
  await agent.next('offer');
  assert.equal(await agent.stop(), 0);
});

/** The agent with stdin as systemd's StandardInput=null gives it: /dev/null. */
function underSystemd(args: string[]): { output: () => string; stop: () => Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

test('stdin closed (systemd): the agent says how answers reach it, and never asks for a paste', async (t) => {
  const answers = join(dir, 'answer');
  const agent = underSystemd(['offer', '--source', 'test', '--stats-interval', '0', '--clear', '--answer-file', answers]);
  t.after(() => agent.stop());
  assert.ok(await eventually(() => /offer #\d+: /.test(agent.output()), Boolean, 30_000), 'an offer line');
  const output = agent.output();
  assert.match(output, new RegExp(`stdin is not open \\(e\\.g\\. under systemd\\): answers reach the agent through the file ${answers}`));
  assert.match(output, new RegExp(`Scan it with the Pigeon page, then write it into ${answers}\\.`));
  assert.doesNotMatch(output, /paste/i);
  // --clear is for the Pi's console: blanking and powerdown off before the first code.
  assert.ok(output.startsWith('\x1b[9;0]\x1b[14;0]\x1b[2J\x1b[H') || output.includes('\x1b[9;0]\x1b[14;0]\x1b[2J\x1b[H'), 'setterm --blank 0 --powerdown 0 codes before the QR');
  assert.equal(output.split('\x1b[9;0]').length, 2, 'said once');
  assert.equal(await agent.stop(), 0);

  const none = underSystemd(['offer', '--source', 'test', '--stats-interval', '0', '--no-scan']);
  t.after(() => none.stop());
  assert.ok(await eventually(() => /offer #\d+: /.test(none.output()), Boolean, 30_000), 'an offer line');
  assert.match(none.output(), /no answer can reach this agent; add --answer-file PATH/);
  assert.equal(await none.stop(), 0);
});

test('stdin open: the JSON event says so and the offer asks for a paste', async () => {
  const agent = new AgentProcess(['offer', '--source', 'test', '--stats-interval', '0']);
  const from = await agent.next('answers-from');
  assert.deepEqual({ stdin: from.stdin, camera: from.camera, file: from.file }, { stdin: true, camera: false, file: undefined });
  assert.equal(await agent.stop(), 0);

  const shown = underSystemd(['offer', '--source', 'test', '--stats-interval', '0', '--answer-file', join(dir, 'a2')]);
  assert.ok(await eventually(() => /offer #\d+: /.test(shown.output()), Boolean, 30_000), 'an offer line');
  assert.doesNotMatch(shown.output(), /\x1b\[9;0\]/, 'no console codes without --clear or --display');
  assert.equal(await shown.stop(), 0);
  // A pipe is open: the paste prompt stays.
  const piped = spawn(process.execPath, [BIN, 'offer', '--source', 'test', '--stats-interval', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  piped.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  assert.ok(await eventually(() => /offer #\d+: /.test(err), Boolean, 30_000), 'an offer line');
  assert.match(err, /then paste the page's answer here\./);
  piped.kill('SIGINT');
  await new Promise((resolve) => piped.on('exit', resolve));
  assert.ok(readFileSync(SHIPPED, 'utf8').includes('display = no'));
});
