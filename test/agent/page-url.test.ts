import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { decodeBlob } from '../../src/signal/index.ts';
import { AgentProcess } from '../harness/index.ts';

/* --page-url through the real agent: the link in the event, the PNG, and the terminal. */
const BIN = fileURLToPath(new URL('../../pi-agent/bin/pi-agent.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pigeon-link-'));
const PAGE_URL = 'https://pigeon.robotlab-42.example.org/watch/';
const agents: AgentProcess[] = [];
after(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
});

test('the offer QR (--qr-png) holds the page link with the offer in its fragment', async () => {
  const png = join(dir, 'offer.png');
  const agent = new AgentProcess(['offer', '--source', 'test', '--single-codec', '--stats-interval', '0', '--page-url', PAGE_URL, '--qr-png', png]);
  agents.push(agent);
  const offer = await agent.next('offer', { timeoutMs: 60_000 });
  assert.ok(offer.link?.startsWith(`${PAGE_URL}#P:`), offer.link);
  assert.deepEqual(decodeBlob(offer.link!).frame, decodeBlob(offer.text).frame);
  assert.ok(offer.qrVersion <= 6, `QR version ${offer.qrVersion}`);
  let read = '';
  for (let tries = 0; read === '' && tries < 300; tries++) {
    try {
      const image = PNG.sync.read(readFileSync(png));
      read = jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? '';
    } catch {
      await sleep(100);
    }
  }
  // Scheme and host come back upper-cased (QR alphanumeric mode); a browser lower-cases them.
  assert.equal(new URL(read).href, offer.link);
  await agent.stop();
});

test('the terminal prints the link as text under the QR', async () => {
  const child = spawn(process.execPath, [BIN, 'offer', '--source', 'test', '--single-codec', '--stats-interval', '0', '--page-url', PAGE_URL], { stdio: 'pipe' });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!/Open on a phone: \S+#P:\d+\n/.test(out) && Date.now() < deadline) await sleep(100);
  child.kill('SIGINT');
  await new Promise((resolve) => child.on('exit', resolve));
  const link = /Open on a phone: (\S+)\n/.exec(out)?.[1] ?? '';
  assert.ok(link.startsWith(`${PAGE_URL}#P:`), out.slice(-400));
  assert.match(out, /pigeon:[A-Za-z0-9_-]+\n/, 'the pigeon: text is still there for pasting');
});

test('a --page-url that is not an http(s) address is a usage error', () => {
  for (const bad of ['example.org/pigeon', 'file:///home/pi/index.html']) {
    const run = spawnSync(process.execPath, [BIN, 'offer', '--page-url', bad], { encoding: 'utf8' });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /--page-url must be/);
  }
});
