import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, test } from 'node:test';
import {
  BridgedPages,
  builtPageInChromium,
  builtPageInWebKit,
  builtPageUrl,
  clickViewerButton,
  launchChromium,
  pageShows,
  type BuiltPage,
  type ChromiumHandle,
} from '../harness/index.ts';
import { webkitMissing } from './page-driver.ts';

/*
 * The bridge's frames through Media Source Extensions: the built page with ?bridge= plays a live
 * agent in a <video> from fragmented MP4 (src/playback/fmp4.ts, src/playback/mse-player.ts), asked
 * for with ?decoder=mse, or chosen by itself in an engine without WebCodecs (VideoDecoder taken
 * away before the page loads). The answer goes to the agent's stdin as a person carries it; then
 * frames are decoded in the <video> at the source's size, its picture changes, the stats and the
 * agent's telemetry show, the Keyframe button brings a keyframe, and the video plays near the
 * newest frame it holds.
 */
// The periodic keyframe 60 s away: a keyframe soon after the button is the one it asked for.
const AGENT = ['offer', '--source', 'test', '--width', '640', '--height', '480', '--fps', '30', '--bitrate', '2000', '--stats-interval', '1', '--keyframe-interval', '60'];
const NO_WEBCODECS = 'delete window.VideoDecoder; delete window.VideoEncoder; delete window.EncodedVideoChunk;';

// Each test's agent, bridge and page stop when it ends.
const rig = new BridgedPages();
let chromium: ChromiumHandle | undefined;

afterEach(() => rig.stop());
after(async () => {
  await chromium?.close();
});

async function watchThroughMse(open: (url: string) => Promise<BuiltPage>, query: string): Promise<BuiltPage> {
  const { agent, offer, page, answered, answer } = await rig.answered(AGENT, open, query);
  assert.equal(answer.codec, 'H264', 'with MSE the page asks for H.264 only');
  agent.write(answered.answer);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });

  const playing = await pageShows(page, (s) => s.status === 'connected' && s.framesDecoded >= 30, 30_000, '30 frames decoded in the <video>');
  assert.equal(playing.mse, true, 'the frames play in a <video> through MSE');
  assert.equal(playing.canvas, false, 'no canvas for the picture');
  assert.equal(playing.width, 640);
  assert.equal(playing.height, 480);
  assert.equal(playing.alert, '', 'no error shown');
  assert.match(playing.hello, /says hello/);
  // videotestsrc's pattern moves: a new picture in the <video> as it plays.
  await pageShows(page, (s) => s.pixels !== 0 && s.pixels !== playing.pixels, 10_000, 'the video picture changing');
  const steady = await pageShows(page, (s) => s.fps > 0 && s.kbps > 0 && s.telemetryFps !== null && /Pi fps/.test(s.statsText) && /640×480/.test(s.statsText), 15_000, 'fps, bitrate and the agent’s telemetry in the stats overlay');
  await pageShows(page, (s) => s.framesDecoded >= steady.framesDecoded + 15, 10_000, 'frames still coming');

  const keyframes = steady.keyframes;
  const asked = agent.events.length;
  await page.run(clickViewerButton('Keyframe'));
  await agent.next('message', { after: asked, where: (e) => e.text.includes('"keyframe"') });
  await pageShows(page, (s) => s.keyframes > keyframes, 10_000, 'a keyframe after the Keyframe button (the periodic one is 60 s away)');
  const moving = await pageShows(page, (s) => s.framesDecoded > steady.framesDecoded + 30, 15_000, 'frames decoded after the keyframe');

  // How far behind the newest frame it holds the <video> plays: the part of glass-to-glass MSE adds.
  const behind: number[] = [];
  const states: string[] = [];
  for (let i = 0; i < 20; i++) {
    const s = await page.snapshot();
    if (s?.behindMs !== null && s?.behindMs !== undefined) behind.push(s.behindMs);
    states.push(`${s?.currentTime?.toFixed(2)}: ${s?.mseState}`);
    await sleep(250);
  }
  behind.sort((a, b) => a - b);
  const median = behind[Math.floor(behind.length / 2)];
  console.log(`${page.engine} ${query || '(no decoder=)'}: behind the live edge median ${median} ms, max ${behind.at(-1)} ms over ${behind.length} samples; ${moving.fps} fps, ${moving.framesDecoded} frames decoded`);
  assert.ok(median !== undefined && median < 1000, `the video plays near the newest frame (median ${median} ms behind; ${states.join(' | ')})`);
  return page;
}

test('Chromium with the bridge forced and ?decoder=mse: the agent’s video plays in a <video> from fragmented MP4', { timeout: 180_000 }, async () => {
  chromium ??= await launchChromium();
  const handle = chromium;
  let opened: Awaited<ReturnType<typeof builtPageInChromium>> | undefined;
  const page = await watchThroughMse(async (url) => (opened = await builtPageInChromium(handle, url)), 'decoder=mse');
  assert.deepEqual(opened?.blocked, [], 'no request but the page itself');
  assert.deepEqual(opened?.errors, [], 'no CSP violation (blob: media) or other error in the console');
  assert.equal((await page.snapshot())?.webrtc, true);

  // Reconnect: a new bridge viewer's frames play in the same <video>, from a new MediaSource.
  const before = await pageShows(page, (s) => s.buttons.includes('Reconnect'), 10_000, 'a Reconnect button');
  await page.run(`document.querySelector('pigeon-app').shadowRoot.querySelector('pigeon-viewer').shadowRoot.querySelector('video.frames').setAttribute('data-mark', 'first')`);
  const pressed = Date.now();
  await page.run(clickViewerButton('Reconnect'));
  const moved = await pageShows(page, (s) => s.feeds === before.feeds + 1 && s.status === 'connected' && !s.statuses.at(-1)?.startsWith('Reconnecting'), 30_000, 'the new connection playing');
  assert.equal(moved.mse, true);
  assert.equal(moved.canvasMark, 'first', 'the same <video> element as before the reconnect');
  // Stats start again from the new connection, as natively: frames decoded from its MediaSource.
  const again = await pageShows(page, (s) => s.feeds === moved.feeds && s.framesDecoded >= 30 && s.width === 640, 30_000, '30 frames decoded from the new connection');
  await pageShows(page, (s) => s.pixels !== 0 && s.pixels !== again.pixels, 10_000, 'the video picture changing after the reconnect');
  console.log(`Chromium decoder=mse: Reconnect button → new connection playing ${Date.now() - pressed} ms (to 30 frames decoded)`);
  assert.equal((await page.snapshot())?.alert, '', 'no error shown');
});

test('Chromium with ?decoder=mse and an agent offering only VP8: says MSE plays H.264 only, and what to do', { timeout: 60_000 }, async () => {
  chromium ??= await launchChromium();
  const handle = chromium;
  const agent = rig.agent([...AGENT, '--encoder', 'vp8', '--single-codec']);
  const bridge = rig.bridge();
  const [offer, url] = await Promise.all([agent.next('offer'), bridge.url]);
  const page = await rig.page((u) => builtPageInChromium(handle, u), builtPageUrl(url, offer.text, 'decoder=mse'));
  const failed = await pageShows(page, (s) => s.alertCode !== '', 30_000, 'an error');
  assert.equal(failed.alertCode, 'E_CODEC_UNPLAYABLE');
  assert.match(failed.alert, /Media Source Extensions/);
  assert.match(failed.alert, /H\.264 only/);
  assert.match(failed.alert, /only VP8/);
  assert.match(failed.alert, /--single-codec/);
  assert.equal(bridge.events.filter((e) => e.type === 'page-connected').length, 0, 'nothing asked of the bridge');
});

test('Chromium without WebCodecs (VideoDecoder taken away before the page loads): the viewer chooses MSE by itself', { timeout: 180_000 }, async () => {
  chromium ??= await launchChromium();
  const handle = chromium;
  const page = await watchThroughMse((url) => builtPageInChromium(handle, url, [NO_WEBCODECS]), '');
  assert.equal((await page.snapshot())?.mse, true);
});

const missing = webkitMissing();
test("WebKitGTK (Tauri's Linux webview) with ?decoder=mse: the agent's video plays in a <video> through its MSE", { skip: missing, timeout: 180_000 }, async () => {
  const page = await watchThroughMse(async (url) => builtPageInWebKit(url), 'decoder=mse');
  assert.equal((await page.snapshot())?.webrtc, false);
});
