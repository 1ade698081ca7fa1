// LibdatachannelPeer (PIGEON_ENGINE=libdatachannel) answering an offer whose answer is carried by
// a person: libjuice gives up a connection whose checks nobody nominates after ~39.5 s, and the
// offerer cannot nominate before it has the answer. Held 45 s, past that: with the answer's hold
// (--offer-ttl) still running the agent's peer is remade as the endpoint the answer describes and
// the connection comes up once the answer arrives; with no hold left it fails, as it did before.
// Real peers on loopback: the offerer is Chromium, which answers our checks before it has our
// answer (as the page does), so libjuice's pairs succeed and then wait for a nomination.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { engineIdle } from '../../engine/src/index.ts';
import { LibdatachannelPeer } from '../../pi-agent/src/webrtc/engine-peer.ts';
import type { PeerState } from '../../pi-agent/src/webrtc/viewer-peer.ts';
import { eventually, launchChromium, type BrowserPeer, type ChromiumHandle } from '../harness/index.ts';

const HOLD_MS = 45_000;
const closing: { close(): Promise<void> }[] = [];
let chromium: ChromiumHandle | undefined;
before(async () => {
  chromium = await launchChromium();
});
after(async () => {
  await Promise.allSettled(closing.map((peer) => peer.close()));
  await chromium?.close();
  await engineIdle();
});

async function heldAnswer(holdMs: number): Promise<{ states: PeerState[]; viewer: BrowserPeer; connectMs: number | undefined }> {
  const viewer = await chromium!.newPeer();
  closing.push(viewer);
  const offer = await viewer.createOffer();
  const { peer, sdp: answer } = await LibdatachannelPeer.answer({ codecs: ['H264'], iceServers: [], ipv6: false }, offer, holdMs);
  closing.push(peer);
  const states: PeerState[] = [];
  peer.on('state', (state) => states.push(state));
  await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
  const handedOver = Date.now();
  await viewer.acceptAnswer(answer);
  const up = await eventually(() => peer.state, (state) => state === 'connected' || states.includes('failed'), 15_000, 5);
  return { states, viewer, connectMs: up === 'connected' ? Date.now() - handedOver : undefined };
}

test(`an answer held ${HOLD_MS / 1000} s connects while its hold lasts, and only then`, { timeout: 120_000 }, async (t) => {
  const [held, unheld] = await Promise.all([heldAnswer(10 * 60_000), heldAnswer(0)]);
  t.diagnostic(`held ${HOLD_MS / 1000} s with the hold running: connected ${held.connectMs} ms after the hand-over; states ${held.states.join(' ')}`);
  assert.ok(held.connectMs !== undefined, `connected (states: ${held.states.join(' ')})`);
  assert.ok(!held.states.includes('failed'), 'no failure was said while the answer was on its way');
  await held.viewer.waitForDataChannelOpen(10_000);
  assert.ok(unheld.states.includes('failed'), `without a hold left, libjuice's give-up stands: ${unheld.states.join(' ')}`);
});
