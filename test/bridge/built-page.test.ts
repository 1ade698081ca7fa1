import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import {
  type AgentProcess,
  BridgedPages,
  builtPageInChromium,
  builtPageInWebKit,
  builtPageUrl,
  clickViewerButton,
  launchChromium,
  pageShows,
  screenshotDir,
  type BuiltPage,
  type ChromiumHandle,
} from '../harness/index.ts';
import { webkitMissing } from './page-driver.ts';

/*
 * The built page (dist/index.html, as `npm run build` makes it: npm test builds it before the
 * node tests) opened with ?bridge=<the bridge's URL>#<the agent's offer>, as a Tauri shell opens
 * it: <pigeon-app> hands the bridge to <pigeon-viewer>, which answers through it. The answer is
 * read off the page and written to the agent's stdin, as a person carries it; then the video is
 * drawn on the viewer's canvas, its stats and the agent's telemetry show, and the Keyframe button
 * brings a keyframe. In Debian's WebKitGTK (no RTCPeerConnection) and in Chromium with the bridge
 * forced where it has WebRTC of its own.
 */
// The periodic keyframe 60 s away: a keyframe soon after the button is the one it asked for.
const AGENT = ['offer', '--source', 'test', '--width', '640', '--height', '480', '--fps', '30', '--bitrate', '2000', '--stats-interval', '1', '--keyframe-interval', '60'];

// Each test's agent, bridge and page stop when it ends.
const rig = new BridgedPages();
let chromium: ChromiumHandle | undefined;

afterEach(() => rig.stop());
after(async () => {
  await chromium?.close();
});

/** Offer in the URL → answer shown → agent → video on the canvas, stats, telemetry, a keyframe on request. */
async function watchThroughBridge(open: (url: string) => Promise<BuiltPage>): Promise<{ page: BuiltPage; agent: AgentProcess }> {
  const { agent, offer, page, answered } = await rig.answered(AGENT, open);
  assert.equal(answered.answerQr, true, 'the answer is shown as a QR code too');
  assert.equal(answered.status, 'waiting');
  assert.match(answered.statusText, /Waiting for the Pi to read the answer… · \d:\d\d/);
  agent.write(answered.answer);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });

  const playing = await pageShows(page, (s) => s.status === 'connected' && s.framesDecoded >= 30, 30_000, '30 frames decoded onto the canvas');
  assert.equal(playing.canvas, true, 'the video is drawn on a canvas');
  assert.equal(playing.video, false, 'no <video>: the bridge gives frames, not a MediaStream');
  assert.equal(playing.width, 640);
  assert.equal(playing.height, 480);
  assert.equal(playing.alert, '', 'no error shown');
  assert.match(playing.hello, /says hello/);
  // videotestsrc's pattern moves: a new picture on the canvas as frames are drawn.
  await pageShows(page, (s) => s.pixels !== 0 && s.pixels !== playing.pixels, 10_000, 'the canvas picture changing');
  const steady = await pageShows(page, (s) => s.fps > 0 && s.kbps > 0 && s.telemetryFps !== null && /Pi fps/.test(s.statsText) && /640×480/.test(s.statsText), 15_000, 'fps, bitrate and the agent’s telemetry in the stats overlay');
  // The stats are sampled once a second: the count moves on with the next sample.
  await pageShows(page, (s) => s.framesDecoded >= steady.framesDecoded + 15, 10_000, 'frames still coming');

  const keyframes = steady.keyframes;
  const asked = agent.events.length;
  await page.run(clickViewerButton('Keyframe'));
  await agent.next('message', { after: asked, where: (e) => e.text.includes('"keyframe"') });
  await pageShows(page, (s) => s.keyframes > keyframes, 10_000, 'a keyframe after the Keyframe button (the periodic one is 60 s away)');
  return { page, agent };
}

const missing = webkitMissing();
test("WebKitGTK (Tauri's Linux webview, no RTCPeerConnection): the built page with ?bridge= plays the agent's video on a canvas; screenshot", { skip: missing, timeout: 180_000 }, async () => {
  const { page } = await watchThroughBridge(async (url) => builtPageInWebKit(url));
  const first = await page.snapshot();
  assert.equal(first?.webrtc, false, 'this WebKitGTK has no RTCPeerConnection: the bridge is the only way');
  await page.screenshot(join(screenshotDir(), 'webkitgtk-bridge.png'));
});

test('WebKitGTK without ?bridge= says there is no WebRTC and what to do, with its code', { skip: missing, timeout: 60_000 }, async () => {
  const offer = await rig.agent(AGENT).next('offer');
  const page = await rig.page(builtPageInWebKit, builtPageUrl('', offer.text).replace('?bridge=', '?'));
  const failed = await pageShows(page, (s) => s.alertCode !== '', 30_000, 'an error');
  assert.equal(failed.alertCode, 'E_NO_WEBRTC');
  assert.match(failed.alert, /no WebRTC/);
  assert.match(failed.alert, /npx pigeon-bridge/);
  assert.match(failed.alert, /\?bridge=/);
  assert.match(failed.alert, /open this page in a browser/);
});

test('Chromium with the bridge forced (?bridge=): the same flow on a canvas, obeying the page’s CSP, no other request', { timeout: 180_000 }, async () => {
  chromium = await launchChromium();
  const handle = chromium;
  let opened: Awaited<ReturnType<typeof builtPageInChromium>> | undefined;
  const { page, agent } = await watchThroughBridge(async (url) => (opened = await builtPageInChromium(handle, url)));
  assert.equal((await page.snapshot())?.webrtc, true, 'Chromium has WebRTC: the bridge was used because the URL named it');
  assert.deepEqual(opened?.blocked, [], 'no request but the page itself (the WebSocket is not a request to block)');
  assert.deepEqual(opened?.errors, [], 'no CSP violation or other error in the console');

  // The agent stops: its bye shows at once, in the native path's words.
  await agent.stop();
  const gone = await pageShows(page, (s) => s.alertCode !== '', 15_000, "the agent's bye");
  assert.equal(gone.alertCode, 'E_AGENT_STOPPED');
});
