import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { agentRig, eventually, forgedFingerprint, screenshotDir } from '../harness/index.ts';
import { newestFrame, readScreen, says, type ReadScreen } from '../harness/screen-reader.ts';

/*
 * --display tells the person at the Pi's screen what happened, beside the QR: each refusal in words
 * they act on, viewers joining and leaving. Read back from what the display pipeline puts out: its
 * sink is a PNG encoder into files (standing in for HDMI), and each frame is read as a person would
 * (the QR with jsQR, the words cell by cell against the agent's font). With PIGEON_SCREENSHOTS=1 a
 * frame per refusal goes into docs/screenshots/ for docs/boot.md.
 */
const rig = agentRig();
const frames = mkdtempSync(join(tmpdir(), 'pigeon-screen-'));
after(() => rmSync(frames, { recursive: true, force: true }));
const SINK = `videoconvert ! pngenc ! multifilesink location=${frames}/frame-%05d.png max-files=4`;

/** Waits until the screen's newest frame reads every one of `words` (and shows offer `frame`, if given). */
async function screenShows(words: string[], frame?: Uint8Array): Promise<ReadScreen & { png: Buffer }> {
  const read = async (): Promise<(ReadScreen & { png: Buffer }) | undefined> => {
    const png = newestFrame(frames);
    return png ? { ...readScreen(png), png } : undefined;
  };
  const ok = (seen: (ReadScreen & { png: Buffer }) | undefined): boolean =>
    seen !== undefined && words.every((w) => says(seen.text, w)) && (frame === undefined || seen.qr?.toString() === frame.toString());
  const seen = await eventually(read, ok, 15_000, 200);
  assert.ok(seen && ok(seen), `the screen reads ${words.join(' | ')} (it reads: ${seen?.text ?? 'no frame yet'}; QR ${seen?.qr ? 'found' : 'not found'})`);
  return seen!;
}

function keep(name: string, png: Buffer): void {
  const file = join(screenshotDir(), `pi-screen-${name}.png`);
  writeFileSync(file, png);
}

test('the Pi\'s screen says each refusal in words a person acts on, beside the QR, and who joined and left', async () => {
  const answers = join(frames, 'answer');
  writeFileSync(answers, '');
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--offer-ttl', '10', '--answer-file', answers, '--display-sink', SINK]);
  const first = await agent.next('offer');
  const start = await screenShows([`Scan this code with the Pigeon page, then paste its answer or write its answer into ${answers}. Valid until`, '0 watching.']);
  assert.match(start.lines[0]!, /^SCAN THIS CODE WITH THE$/, 'what to do comes first');
  keep('1-offer', start.png);

  // A real answer to the first offer, kept back until that offer has expired.
  const viewer = await rig.chromium().newPeer();
  const sdp = await viewer.acceptOffer(decodeBlob(first.text).sdp);
  const answerTo = (offerId: number): string => encodeBlob({ type: 'answer', sdp }, { offerId }).text;
  const second = await agent.next('offer', { where: (e) => e.offerId !== first.offerId, timeoutMs: 20_000 });
  /** The offer showing now: the screen's QR is this one. */
  const shownNow = (): Uint8Array => decodeBlob(agent.events.filter((e) => e.type === 'offer').at(-1)!.text).frame;
  agent.write(answerTo(first.offerId));
  assert.equal((await agent.next('refused', { where: (e) => e.code === 'E_OFFER_EXPIRED' })).code, 'E_OFFER_EXPIRED');
  const expired = await screenShows(['That answer was for an expired code - scan the new one.', 'The code expired unused - here is a new one.'], shownNow());
  keep('2-expired', expired.png);

  agent.write('hello, this is not a code');
  await agent.next('refused', { where: (e) => e.code === 'E_NOT_PIGEON' });
  keep('3-not-pigeon', (await screenShows(['That was not a whole Pigeon answer - show or send it again.', 'That answer was for an expired code'])).png);

  agent.write(answerTo(4242 === second.offerId ? 4243 : 4242));
  await agent.next('refused', { where: (e) => e.code === 'E_OFFER_UNKNOWN' });
  keep('4-unknown', (await screenShows(['That answer is for a code this Pi did not show (another Pi?) - scan this one.'])).png);

  // A viewer joins with the fresh offer; the same answer again is one already used.
  const joining = await rig.chromium().newPeer();
  const fresh = await agent.next('offer', { where: (e) => e.offerId !== first.offerId });
  const joinSdp = await joining.acceptOffer(decodeBlob(fresh.text).sdp);
  const joinAnswer = encodeBlob({ type: 'answer', sdp: joinSdp }, { offerId: fresh.offerId }).text;
  writeFileSync(answers, `${joinAnswer}\n`);
  const joined = await agent.next('viewer-joined');
  await screenShows(['1 watching.', `Viewer #${joined.viewer} joined.`]);
  agent.write(joinAnswer);
  await agent.next('refused', { where: (e) => e.code === 'E_OFFER_USED' });
  keep('5-used', (await screenShows(['That answer was already used - scan the code shown now.'])).png);

  await joining.close();
  const left = await agent.next('viewer-left');
  keep('6-left', (await screenShows(['0 watching.', `Viewer #${left.viewer} left: `])).png);

  // An answer whose fingerprint is not its browser's certificate's (mistaken, or forged on the LAN).
  const forger = await rig.chromium().newPeer();
  const showing = agent.events.filter((e) => e.type === 'offer').at(-1)!;
  const forgedSdp = forgedFingerprint(await forger.acceptOffer(decodeBlob(showing.text).sdp));
  agent.write(encodeBlob({ type: 'answer', sdp: forgedSdp }, { offerId: showing.offerId }).text);
  await agent.next('refused', { where: (e) => e.code === 'E_DTLS_FINGERPRINT', timeoutMs: 30_000 });
  keep('7-forged', (await screenShows(['That answer did not match the browser that made it (mistaken or forged) - scan the new code.'])).png);
  await forger.close();
  await viewer.close();
  assert.equal(await agent.stop(), 0);
});
