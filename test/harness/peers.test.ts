// Proves the peer harness itself: real werift and Chromium peers connect with
// the SDPs handed across verbatim (no codec in between).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type BrowserPeer, type ChromiumHandle, createWeriftPeer, launchChromium, type WeriftPeer } from './index.ts';

let chromium: ChromiumHandle | undefined;
const peers: Array<BrowserPeer | WeriftPeer> = [];

before(async () => {
  chromium = await launchChromium();
});

after(async () => {
  await Promise.allSettled(peers.map((peer) => peer.close()));
  await chromium?.close();
});

async function browserPeer(): Promise<BrowserPeer> {
  if (!chromium) throw new Error('Chromium not launched');
  const peer = await chromium.newPeer();
  peers.push(peer);
  return peer;
}

async function weriftPeer(codec: 'H264' | 'VP8'): Promise<WeriftPeer> {
  const peer = await createWeriftPeer({ codec });
  peers.push(peer);
  return peer;
}

/** The lines of each m-section, session part excluded. */
function mediaSections(sdp: string): string[][] {
  const sections: string[][] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) sections.push([]);
    sections.at(-1)?.push(line);
  }
  return sections;
}

const candidates = (lines: string[]): string[] => lines.filter((l) => l.startsWith('a=candidate:'));
const rtpmaps = (lines: string[]): string[] => lines.filter((l) => l.startsWith('a=rtpmap:'));

function assertWeriftOffer(offer: string, codec: 'H264' | 'VP8'): void {
  const [video, data, ...rest] = mediaSections(offer);
  assert.ok(video && data, 'offer has a video and a data m-section');
  assert.equal(rest.length, 0);
  assert.match(video[0] ?? '', /^m=video /);
  assert.ok(video.includes('a=sendonly'));
  assert.deepEqual(rtpmaps(video).map((l) => l.replace(/^a=rtpmap:\d+ /, '')), [`${codec}/90000`]);
  const hosts = candidates(video);
  assert.equal(hosts.length, 1, `one candidate expected, got ${hosts.join(' | ')}`);
  assert.match(hosts[0] ?? '', /^a=candidate:\S+ 1 udp \d+ \d+\.\d+\.\d+\.\d+ \d+ typ host/);
  assert.deepEqual(candidates(data), hosts, 'max-bundle: same candidates in both m-sections');
}

async function assertTalking(a: BrowserPeer | WeriftPeer, b: BrowserPeer | WeriftPeer): Promise<void> {
  await Promise.all([a.waitForDataChannelOpen(), b.waitForDataChannelOpen()]);
  await a.send('ping');
  assert.equal(await b.nextMessage(5000), 'ping');
  await b.send('pong');
  assert.equal(await a.nextMessage(5000), 'pong');
}

async function weriftOffersChromiumAnswers(codec: 'H264' | 'VP8'): Promise<void> {
  const werift = await weriftPeer(codec);
  const browser = await browserPeer();
  const offer = await werift.createOffer();
  assertWeriftOffer(offer, codec);
  await werift.acceptAnswer(await browser.acceptOffer(offer));
  await assertTalking(werift, browser);
}

test('werift H264 offers, Chromium answers, data flows both ways', () =>
  weriftOffersChromiumAnswers('H264'));

test('Chromium offers, werift H264 answers, data flows both ways', async () => {
  const browser = await browserPeer();
  const werift = await weriftPeer('H264');
  const answer = await werift.acceptOffer(await browser.createOffer());
  const [video] = mediaSections(answer);
  assert.ok(video, 'answer has a video m-section');
  assert.ok(video.includes('a=sendonly'), 'answer video is sendonly');
  assert.equal(rtpmaps(video).length, 1, 'answer keeps exactly one video codec');
  assert.ok(video.some((l) => /^a=fmtp:\d+ .*profile-level-id=42e01f/.test(l)));
  await browser.acceptAnswer(answer);
  await assertTalking(browser, werift);
});

test('werift VP8 offers, Chromium answers, data flows both ways', () =>
  weriftOffersChromiumAnswers('VP8'));
