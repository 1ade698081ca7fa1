/**
 * Issue 26: an answer whose DTLS fingerprint does not match the certificate its viewer presents
 * (a mistaken or forged answer) is its own refusal, E_DTLS_FINGERPRINT, not a network failure; a
 * fresh code is shown for the right answer. Real agent, real Chromium viewer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { WERIFT_MISMATCH } from '@pigeon/node-common';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { agentRig, forgedFingerprint, launchChromium } from '../harness/index.ts';

const rig = agentRig();

test('werift still names a fingerprint mismatch by the message dtls-fingerprint.ts looks for', () => {
  const require = createRequire(join(process.cwd(), 'pi-agent', 'package.json'));
  const source = readFileSync(join(dirname(require.resolve('werift')), 'transport/dtls.js'), 'utf8');
  assert.ok(source.includes(`"${WERIFT_MISMATCH}"`), 'werift dtls.js throws the mismatch message');
});

test('an answer whose fingerprint was altered is refused as E_DTLS_FINGERPRINT, and a fresh code comes for the right answer', async (t) => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--viewers', '1']);
  const chromium = await launchChromium();
  t.after(() => chromium.close());
  const offer = await agent.next('offer');
  const viewer = await chromium.newPeer();
  const sdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
  const altered = forgedFingerprint(sdp);
  assert.notEqual(altered, sdp, 'the fingerprint was changed');
  const blob = encodeBlob({ type: 'answer', sdp: altered }, { offerId: offer.offerId });
  assert.notEqual(decodeBlob(blob.text).sdp.match(/a=fingerprint:.*/)?.[0], sdp.match(/a=fingerprint:.*/)?.[0], 'the blob carries the altered fingerprint');
  const offers = agent.events.filter((e) => e.type === 'offer').length;
  agent.write(blob.text);
  const refused = await agent.next('refused', { where: (e) => e.code === 'E_DTLS_FINGERPRINT', timeoutMs: 30_000 });
  t.diagnostic(refused.reason);
  assert.match(refused.reason, new RegExp(`^viewer #${offer.offerId}: its certificate did not match its answer`));
  const left = await agent.next('viewer-left', { where: (e) => e.viewer === offer.offerId });
  assert.equal(left.reason, 'its certificate did not match its answer');
  assert.equal(agent.events.filter((e) => e.type === 'viewer-joined').length, 0, 'no video for a forged answer');
  // The fresh code the words promise.
  await agent.next('offer', { after: offers });
  assert.equal(await agent.stop(), 0);
});
