import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { AppPage, BridgeProcess, TestSshd, appSeen, eventually, launchChromium, sshdUnavailable, type ChromiumHandle } from '../harness/index.ts';

/*
 * The ssh carrier end to end, nothing typed or scanned: `pigeon-bridge --carry -- ssh … pi-agent
 * offer --json` runs the agent through Debian's OpenSSH server on a loopback port (a key made by
 * the test), and carries the agent's offer to the page and the page's answer back over that
 * session's stdio; the page (dist/lib/pigeon.js, native WebRTC in Chromium) plays the video. The
 * same with the page offering first to `pi-agent answer --json`, and what the page is told when
 * ssh is refused, the host is not there, or the agent is not installed.
 */
const skip = sshdUnavailable();
const AGENT = fileURLToPath(new URL('../../pi-agent/bin/pi-agent.js', import.meta.url));
const VIDEO = ['--source', 'test', '--width', '640', '--height', '480', '--fps', '30'];

let sshd: TestSshd | undefined;
let chromium: ChromiumHandle | undefined;
const bridges: BridgeProcess[] = [];
const apps: AppPage[] = [];

before(async () => {
  if (skip) return;
  [sshd, chromium] = await Promise.all([TestSshd.start(), launchChromium()]);
});

afterEach(async () => {
  await Promise.allSettled([...apps.splice(0).map((a) => a.close()), ...bridges.splice(0).map((b) => b.stop())]);
});

after(async () => {
  await chromium?.close();
  await sshd?.stop();
});

function carry(command: string[]): BridgeProcess {
  const bridge = new BridgeProcess(['--carry', '--', ...command]);
  bridges.push(bridge);
  return bridge;
}

/** The first message the carry link gives a client that connects (a page would get the same). */
async function firstMessage(url: string): Promise<{ type: string; code?: string; message?: string; text?: string }> {
  const socket = new WebSocket(url);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message on the carry link within 60 s')), 60_000);
      socket.once('message', (data: Buffer) => (clearTimeout(timer), resolve(JSON.parse(data.toString()) as { type: string })));
      socket.once('error', reject);
    });
  } finally {
    socket.close();
  }
}

for (const piOffers of [true, false]) {
  const what = piOffers ? "the agent's offer goes to the page and the page's answer back" : "the page's offer goes to pi-agent answer and its answer back";
  test(`through ssh to a loopback sshd with a test key: ${what}, and the video plays`, { skip }, async () => {
    const started = Date.now();
    const bridge = carry(sshd!.command([process.execPath, AGENT, piOffers ? 'offer' : 'answer', '--json', ...VIDEO]));
    const url = await bridge.carryUrl;
    const app = await AppPage.start();
    apps.push(app);
    const page = await app.open(chromium!, url, !piOffers);
    const seen = await eventually(() => appSeen(page), (s) => s.frames >= 30 || s.errors.length > 0, 120_000, 250);
    assert.deepEqual(seen.errors, [], `${JSON.stringify(seen)}\nbridge: ${bridge.stderr}`);
    assert.ok(seen.frames >= 30, `${seen.frames} frames presented: ${JSON.stringify(seen)}\nbridge events: ${bridge.events.map((e) => e.type).join(', ')}`);
    assert.equal(seen.status, 'connected');
    assert.ok(seen.carried.includes(piOffers ? 'offer' : 'answer'), JSON.stringify(seen.carried));
    await bridge.next('carried', { where: (e) => e.what === (piOffers ? 'offer' : 'answer') && e.to === 'page' });
    console.log(`ssh carrier (${piOffers ? 'Pi offers' : 'page offers'}): ${seen.firstFrameAt - started} ms from the bridge's start (ssh, agent, gst-launch) to the first frame presented`);

    // Stopping the bridge ends the ssh session, and the agent it ran goes too (bounded).
    const remote = sshd!.descendants();
    assert.ok(remote.length > 0, 'the agent runs under the test sshd');
    assert.equal(await bridge.stop(), 0);
    const left = await eventually(() => remote.filter((pid) => existsSync(join('/proc', String(pid)))), (pids) => pids.length === 0, 30_000, 250);
    assert.deepEqual(left, [], 'the ssh session and the agent it ran are gone');
  });
}

test('ssh refused (a key the server does not know): the page is told E_SSH_AUTH with what ssh said, and the bridge goes on', { skip }, async () => {
  const key = join(sshd!.dir, 'stranger_key');
  const { spawnSync } = await import('node:child_process');
  spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const bridge = carry(sshd!.command([process.execPath, AGENT, 'offer', '--json'], key));
  const message = await firstMessage(await bridge.carryUrl);
  assert.equal(message.type, 'error');
  assert.equal(message.code, 'E_SSH_AUTH');
  assert.match(message.message ?? '', /Permission denied/);
  assert.equal((await bridge.next('carry-failed')).code, 'E_SSH_AUTH');
  // The bridge itself still serves: a page could still use its video side.
  await bridge.url;
});

test('no ssh server at that port: E_SSH_UNREACHABLE', { skip }, async () => {
  const command = sshd!.command([process.execPath, AGENT, 'offer', '--json']);
  // The same command, one port number off: nothing listens there (the sshd's port was free, and so is this one, most likely).
  const closed = command.map((arg, i) => (command[i - 1] === '-p' ? String(sshd!.port === 65535 ? 1 : sshd!.port + 1) : arg));
  const bridge = carry(closed);
  const message = await firstMessage(await bridge.carryUrl);
  assert.equal(message.code, 'E_SSH_UNREACHABLE', message.message);
  assert.match(message.message ?? '', /Connection refused/);
});

test('pi-agent not installed where ssh runs it: E_AGENT_NOT_FOUND', { skip }, async () => {
  const bridge = carry(sshd!.command(['pigeon-no-such-agent', 'offer', '--json']));
  const message = await firstMessage(await bridge.carryUrl);
  assert.equal(message.code, 'E_AGENT_NOT_FOUND', message.message);
  assert.match(message.message ?? '', /pigeon-no-such-agent/);
});

test('--carry without a command, or a command without --carry, is a usage error', async () => {
  for (const args of [['--carry'], ['--', 'ssh', 'pi@robot']]) {
    const bridge = new BridgeProcess(args);
    bridges.push(bridge);
    bridge.url.catch(() => undefined);
    assert.equal(await bridge.exited, 2);
    assert.match(bridge.stderr, /--carry/);
  }
});
