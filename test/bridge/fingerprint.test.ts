/**
 * Issue 26, the bridge's part: when the Pi's DTLS certificate does not match the fingerprint in
 * the Pi's SDP the bridge was given (the Pi's offer when the bridge answers, its answer when the
 * bridge offers), the bridge's viewer ends with its own code, E_DTLS_FINGERPRINT, said to the page
 * over the bridge wire and in the bridge's JSON events, not as a failed connection; and the bridge
 * keeps working: the right code afterwards plays. Real agent, real bridge, a Node page (WsPage);
 * and the built page (Chromium with the bridge forced) showing the words a person acts on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { agentRig, BridgeProcess, builtPageInChromium, builtPageUrl, forgedFingerprint, pageShows, WsPage } from '../harness/index.ts';

const rig = agentRig();
const AGENT = ['--source', 'test', '--stats-interval', '0'];

/** The SDP's a=fingerprint with its first byte changed (in every section): what a mistaken or forged code carries. */
function forged(sdp: string): string {
  const altered = forgedFingerprint(sdp);
  assert.notEqual(altered, sdp, 'the fingerprint was changed');
  return altered;
}

function fingerprint(sdp: string): string | undefined {
  return sdp.match(/a=fingerprint:.*/)?.[0];
}

/** A bridge stopped when the test ends. */
function bridgeFor(t: { after(fn: () => Promise<unknown>): void }): BridgeProcess {
  const bridge = new BridgeProcess();
  t.after(() => bridge.stop());
  return bridge;
}

test("the bridge answering: a Pi's offer whose fingerprint was altered ends its viewer as E_DTLS_FINGERPRINT at the page and in the bridge's events; the Pi's next offer plays", async (t) => {
  // Room for two viewers: the Pi shows its next offer as soon as it takes the first answer.
  const agent = rig.startAgent(['offer', ...AGENT, '--viewers', '2']);
  const bridge = bridgeFor(t);
  const [offer, url] = await Promise.all([agent.next('offer'), bridge.url]);
  const decoded = decodeBlob(offer.text);
  const blob = encodeBlob({ type: 'offer', sdp: forged(decoded.sdp) }, { offerId: offer.offerId });
  assert.notEqual(fingerprint(decodeBlob(blob.text).sdp), fingerprint(decoded.sdp), 'the blob carries the altered fingerprint');

  const page = await WsPage.open(url);
  await page.next('hello');
  page.send({ v: 1, type: 'accept', offer: blob.text });
  const answer = await page.next('answer');
  const mark = agent.events.length;
  const carried = Date.now();
  agent.write(answer.text);
  const closed = await page.next('status', { where: (s) => s.viewer === answer.viewer && s.state === 'closed' });
  const heardMs = Date.now() - carried;
  assert.equal(closed.code, 'E_DTLS_FINGERPRINT', `the page is told why: ${closed.code}: ${closed.reason}`);
  assert.match(closed.reason ?? '', /did not match the fingerprint in the Pi's offer .*not the network.*did not come from this Pi/);
  const event = await bridge.next('viewer-closed', { where: (e) => e.viewer === answer.viewer });
  assert.equal(event.code, 'E_DTLS_FINGERPRINT');
  assert.equal(event.reason, closed.reason);
  assert.ok(!page.messages.some((m) => m.type === 'status' && m.state === 'connected'), 'no video for a code that is not this Pi’s');
  assert.equal(page.frames.length, 0);
  t.diagnostic(`answer carried → the page heard E_DTLS_FINGERPRINT ${heardMs} ms later; ${closed.reason}`);

  // The bridge keeps working: the same page takes the Pi's next offer, unaltered, and it plays.
  const next = await agent.next('offer', { after: mark });
  const seen = page.messages.length;
  page.send({ v: 1, type: 'accept', offer: next.text });
  const good = await page.next('answer', { after: seen });
  agent.write(good.text);
  await agent.next('viewer-joined', { where: (e) => e.viewer === next.offerId });
  await page.next('status', { after: seen, where: (s) => s.viewer === good.viewer && s.state === 'connected' });
  await page.framesUntil(10);
  page.close();
});

test("the bridge offering: an answer whose fingerprint was altered ends its viewer as E_DTLS_FINGERPRINT; the Pi's real answer to a new offer plays", async (t) => {
  const bridge = bridgeFor(t);
  const page = await WsPage.open(await bridge.url);
  await page.next('hello');

  const first = rig.startAgent(['answer', ...AGENT]);
  page.send({ v: 1, type: 'offer' });
  const offered = await page.next('offer');
  first.write(encodeBlob({ type: 'offer', sdp: offered.sdp }).text);
  const answer = decodeBlob((await first.next('answer')).text).sdp;
  const answered = Date.now();
  page.send({ v: 1, type: 'answer', sdp: forged(answer) });
  const closed = await page.next('status', { where: (s) => s.viewer === offered.viewer && s.state === 'closed' });
  const heardMs = Date.now() - answered;
  assert.equal(closed.code, 'E_DTLS_FINGERPRINT', `the page is told why: ${closed.code}: ${closed.reason}`);
  assert.match(closed.reason ?? '', /did not match the fingerprint in the Pi's answer .*not the network.*did not come from this Pi/);
  assert.equal((await bridge.next('viewer-closed', { where: (e) => e.viewer === offered.viewer })).code, 'E_DTLS_FINGERPRINT');
  assert.equal(page.frames.length, 0, 'no video for an answer that is not this Pi’s');
  t.diagnostic(`altered answer given → the page heard E_DTLS_FINGERPRINT ${heardMs} ms later`);

  // The bridge keeps working: a new offer from the same page, the Pi's answer as it made it, video.
  const second = rig.startAgent(['answer', ...AGENT]);
  const seen = page.messages.length;
  page.send({ v: 1, type: 'offer' });
  const again = await page.next('offer', { after: seen });
  second.write(encodeBlob({ type: 'offer', sdp: again.sdp }).text);
  page.send({ v: 1, type: 'answer', sdp: decodeBlob((await second.next('answer')).text).sdp });
  await page.next('status', { after: seen, where: (s) => s.viewer === again.viewer && s.state === 'connected' });
  await page.framesUntil(10);
  page.close();
});

test("the built page through the bridge, given a Pi's code whose fingerprint was altered, says the code did not come from the Pi it reached and to scan it again", async (t) => {
  const agent = rig.startAgent(['offer', ...AGENT]);
  const bridge = bridgeFor(t);
  const [offer, url] = await Promise.all([agent.next('offer'), bridge.url]);
  const altered = encodeBlob({ type: 'offer', sdp: forged(decodeBlob(offer.text).sdp) }, { offerId: offer.offerId });
  const page = await builtPageInChromium(rig.chromium(), builtPageUrl(url, altered.text));
  t.after(() => page.close());
  const answered = await pageShows(page, (s) => s.answer.startsWith('pigeon:'), 30_000, 'the answer shown as text');
  const carried = Date.now();
  agent.write(answered.answer);
  const refused = await pageShows(page, (s) => s.alertCode === 'E_DTLS_FINGERPRINT', 30_000, 'the fingerprint refusal shown');
  t.diagnostic(`answer carried → the page showed E_DTLS_FINGERPRINT within ${Date.now() - carried} ms: ${refused.alert}`);
  assert.match(refused.alert, /not the one that made this code/);
  assert.match(refused.alert, /not a network problem/);
  assert.match(refused.alert, /Scan \(or paste\) the code again/);
  assert.equal(refused.framesDecoded, 0, 'no video');
  assert.equal((await bridge.next('viewer-closed')).code, 'E_DTLS_FINGERPRINT');
});
