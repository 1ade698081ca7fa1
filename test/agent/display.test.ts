import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { decodeBlob } from '../../src/signal/index.ts';
import { agentRig } from '../harness/index.ts';

/* --display: the offer QR through a second small GStreamer pipeline (fakesink stands in for HDMI). */
const rig = agentRig();

function gstChildren(pid: number): string[] {
  const out = execFileSync('ps', ['-o', 'args=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.startsWith('gst-launch'));
}

async function shownOffer(file: string): Promise<Uint8Array | undefined> {
  if (!existsSync(file)) return undefined;
  const image = PNG.sync.read(readFileSync(file));
  const found = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  return found ? Uint8Array.from(found.binaryData) : undefined;
}

test('--display puts each new offer on screen through its own pipeline, re-reading the PNG', async () => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--offer-ttl', '2', '--display-sink', 'fakesink']);
  const first = await agent.next('offer');
  const file = join(tmpdir(), `pigeon-offer-${agent.pid}.png`);
  let until = Date.now() + 5000;
  while (gstChildren(agent.pid).length < 2 && Date.now() < until) await sleep(100);
  const display = gstChildren(agent.pid).find((args) => args.includes('multifilesrc'));
  assert.ok(display, 'a second gst-launch-1.0 shows the QR');
  assert.match(display, new RegExp(`location=${file} loop=true caps=image/png,framerate=1/1 ! pngdec ! videoconvert ! identity sync=true ! fakesink`));
  assert.deepEqual(await shownOffer(file), decodeBlob(first.text).frame);

  const second = await agent.next('offer', { where: (e) => e.offerId !== first.offerId, timeoutMs: 6000 });
  until = Date.now() + 3000;
  while (Date.now() < until && (await shownOffer(file))?.toString() !== decodeBlob(second.text).frame.toString()) await sleep(100);
  assert.deepEqual(await shownOffer(file), decodeBlob(second.text).frame, 'the expired offer was replaced on screen');
  assert.equal(gstChildren(agent.pid).length, 2, 'the display pipeline was not restarted for it');
  assert.equal(await agent.stop(), 0);
});

test('a display sink that does not exist is named, and the agent exits 1', async () => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--display-sink', 'nosuchsink']);
  assert.equal(await agent.exited, 1);
  assert.match(agent.stderr, /GStreamer element nosuchsink is missing/);
});
