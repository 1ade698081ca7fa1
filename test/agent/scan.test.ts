import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PNG } from 'pngjs';
import { qrMatrix } from '../../src/qr/matrix.ts';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { agentRig } from '../harness/index.ts';

/*
 * The Pi reads the page's answer with its own camera. The "camera" is a PNG file that GStreamer
 * re-reads five times a second (multifilesrc), standing in for libcamerasrc: first a blank
 * picture, then the answer QR, as if a phone were held up to the lens.
 */
const rig = agentRig();
const dir = mkdtempSync(join(tmpdir(), 'pigeon-scan-'));
const camera = join(dir, 'camera.png');

/** A 640×480 picture with `bytes` as a QR code in the middle (or blank), swapped in atomically. */
function show(bytes: Uint8Array | undefined): void {
  const png = new PNG({ width: 640, height: 480 });
  png.data.fill(255);
  if (bytes) {
    const matrix = qrMatrix(bytes);
    const scale = 8;
    const left = Math.floor((640 - matrix.size * scale) / 2);
    const top = Math.floor((480 - matrix.size * scale) / 2);
    for (let y = 0; y < matrix.size * scale; y++) {
      for (let x = 0; x < matrix.size * scale; x++) {
        if (!matrix.dark(Math.floor(x / scale), Math.floor(y / scale))) continue;
        const at = ((top + y) * 640 + left + x) * 4;
        png.data[at] = png.data[at + 1] = png.data[at + 2] = 0;
      }
    }
  }
  const next = `${camera}.next`;
  writeFileSync(next, PNG.sync.write(png));
  renameSync(next, camera);
}

const CAMERA = `multifilesrc location=${camera} loop=true caps=image/png,framerate=5/1 ! pngdec ! videoconvert ! identity sync=true`;

test('--scan: the agent reads the answer QR from its own pipeline and the viewer joins, nobody typing', async () => {
  show(undefined);
  const agent = rig.startAgent(['offer', '--pipeline', CAMERA, '--scan', '--stats-interval', '0']);
  const offer = await agent.next('offer');
  await agent.next('scanning', { where: (e) => e.active });
  const viewer = await rig.chromium().newPeer();
  const answerSdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
  const shownAt = Date.now();
  show(encodeBlob({ type: 'answer', sdp: answerSdp }, { offerId: offer.offerId }).bytes);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId, timeoutMs: 10_000 });
  const joinedMs = Date.now() - shownAt;
  assert.ok(joinedMs < 5000, `joined ${joinedMs} ms after the QR appeared`);
  // The next offer is up and the reader looks again; the old QR still in view is not re-read as
  // a new answer (no refusal for the used offer).
  await agent.next('offer', { where: (e) => e.offerId !== offer.offerId });
  await sleep(1500);
  assert.equal(agent.events.filter((e) => e.type === 'refused').length, 0);
  const until = Date.now() + 5000;
  while ((await viewer.videoStats()).frames < 5 && Date.now() < until) await sleep(100);
  assert.ok((await viewer.videoStats()).frames >= 5, 'the viewer gets video');
  console.log(`answer QR shown -> viewer joined: ${joinedMs} ms`);
  await viewer.close();
  assert.equal(await agent.stop(), 0);
});

test('--scan adds the QR reader branch; a custom source has none unless asked', async () => {
  const agent = rig.startAgent(['offer', '--pipeline', CAMERA, '--stats-interval', '0']);
  const ready = await agent.next('ready');
  assert.doesNotMatch(ready.pipeline, /QR reader/);
  await agent.stop();
  const scanning = rig.startAgent(['offer', '--pipeline', CAMERA, '--scan', '--stats-interval', '0']);
  assert.match((await scanning.next('ready')).pipeline, /QR reader 640×480@4 on fd 3/);
  await scanning.stop();
});
