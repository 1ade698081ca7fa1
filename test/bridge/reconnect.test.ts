import assert from 'node:assert/strict';
import { after, afterEach, test, type TestContext } from 'node:test';
import {
  BridgedPages,
  builtPageInChromium,
  builtPageInWebKit,
  builtPageUrl,
  clickViewerButton,
  COUNT_DRAWS,
  launchChromium,
  pageShows,
  type BuiltPage,
  type ChromiumHandle,
} from '../harness/index.ts';
import { webkitMissing } from './page-driver.ts';

/*
 * Reconnect through the bridge: the built page with ?bridge= plays a live agent, then its
 * Reconnect button has the bridge offer a new connection on the engine (as a browser would); the
 * offer goes to the agent over the data channel the bridge relays, the agent's answer comes back
 * on it, and the page moves to the new connection on the same canvas. The agent hands its viewer
 * over (same number, no second slot), the bridge closes the old peer, and frames go on.
 */
const AGENT = ['offer', '--source', 'test', '--width', '640', '--height', '480', '--fps', '30', '--bitrate', '2000', '--stats-interval', '1'];

// Each test's agent, bridge and page stop when it ends.
const rig = new BridgedPages();
let chromium: ChromiumHandle | undefined;

afterEach(() => rig.stop());
after(async () => {
  await chromium?.close();
});

async function reconnectThroughBridge(t: TestContext, open: (url: string) => Promise<BuiltPage>): Promise<void> {
  const { agent, bridge, offer, page, answered, answer: first } = await rig.answered(AGENT, open);
  agent.write(answered.answer);
  const viewer = offer.offerId;
  await agent.next('viewer-joined', { where: (e) => e.viewer === viewer }).catch((error: unknown) => {
    throw new Error(
      `${String(error)}; the agent's viewer events: ${JSON.stringify(agent.events.filter((e) => e.type.startsWith('viewer') || e.type === 'refused'))}; the bridge's: ${JSON.stringify(bridge.events.filter((e) => e.type !== 'stats'))}; agent stderr: ${agent.stderr.slice(-1500)}`,
    );
  });
  const before = await pageShows(page, (s) => s.status === 'connected' && s.framesDecoded >= 30 && s.buttons.includes('Reconnect'), 30_000, '30 frames decoded and a Reconnect button');
  assert.equal(before.feeds, 1);
  await page.run(COUNT_DRAWS);
  await page.run(`document.querySelector('pigeon-app').shadowRoot.querySelector('pigeon-viewer').shadowRoot.querySelector('canvas.frames').setAttribute('data-mark', 'first')`);
  const drawing = await pageShows(page, (s) => s.canvasMark === 'first' && (s.draws?.count ?? 0) >= 10, 30_000, 'pictures drawn on the marked canvas');

  const mark = agent.events.length;
  const bridgeMark = bridge.events.length;
  const pressed = Date.now();
  await page.run(clickViewerButton('Reconnect'));
  const reconnecting = await agent.next('reconnecting', { after: mark, timeoutMs: 30_000 });
  assert.equal(reconnecting.viewer, viewer, 'the agent hands over the same viewer');
  const reconnected = await agent.next('reconnected', { after: mark, timeoutMs: 30_000 });
  assert.equal(reconnected.viewer, viewer);
  const offered = await bridge.next('offer', { after: bridgeMark });
  assert.notEqual(offered.viewer, first.viewer, 'a new engine peer made the offer');

  // The page moved to the new connection: a second frame feed, drawn on the same canvas, playing.
  const moved = await pageShows(page, (s) => s.feeds === 2 && s.status === 'connected' && !s.statuses.at(-1)?.startsWith('Reconnecting'), 30_000, 'the new connection playing');
  const tookMs = Date.now() - pressed;
  assert.ok(moved.statuses.some((words) => words === 'Reconnecting over the data channel…'), `the status said it was reconnecting: ${moved.statuses.join(' → ')}`);
  assert.equal(moved.canvas, true);
  assert.equal(moved.video, false);
  assert.equal(moved.canvasMark, 'first', 'the same canvas element as before the reconnect');
  const drawnAtMove = moved.draws?.count ?? 0;
  const afterwards = await pageShows(page, (s) => s.feeds === 2 && s.framesDecoded >= 30 && (s.draws?.count ?? 0) >= drawnAtMove + 30, 30_000, '30 frames decoded from the new connection and drawn');
  await pageShows(page, (s) => s.pixels !== 0 && s.pixels !== afterwards.pixels, 10_000, 'the canvas picture changing');
  const steady = await pageShows(page, (s) => s.fps > 0 && s.kbps > 0 && s.width === 640 && s.telemetryViewers === 1, 15_000, 'fps, bitrate and telemetry (one viewer) from the new connection');
  assert.equal(steady.alert, '', 'no error shown');

  // The old connection is gone on every side: the bridge closed its peer; the agent still has one viewer.
  const closed = await bridge.next('viewer-closed', { after: bridgeMark, where: (e) => e.viewer === first.viewer });
  const joined = agent.events.filter((e) => e.type === 'viewer-joined');
  const left = agent.events.filter((e) => e.type === 'viewer-left');
  assert.deepEqual(
    joined.map((e) => e.type === 'viewer-joined' && e.viewer),
    [viewer],
    'no second viewer slot: the new connection carries the same viewer',
  );
  assert.deepEqual(left, [], 'nobody left the agent');
  const stats = await agent.next('stats', { after: agent.events.indexOf(reconnected) + 1 });
  assert.deepEqual(
    stats.viewers.map((v) => v.viewer),
    [viewer],
  );
  t.diagnostic(
    `${page.engine}: frames decoded before ${before.framesDecoded}, after ${afterwards.framesDecoded} (new connection), ${steady.fps} fps; pictures drawn on the one canvas ${drawing.draws?.count ?? 0} → ${drawnAtMove} at the move → ${afterwards.draws?.count ?? 0}, longest pause ${afterwards.draws?.longestGapMs ?? '?'} ms, at the new connection's decoder ${afterwards.draws?.newDecoderGapsMs.join(', ') ?? '?'} ms; agent hand-over ${reconnected.ms} ms; button → new connection playing ${tookMs} ms; old bridge viewer closed: ${closed.code}; statuses ${moved.statuses.join(' → ')}`,
  );
}

/** Clicks a button of the app (not the viewer) by its words. */
const clickAppButton = (words: string): string =>
  `(() => { const b = [...document.querySelector('pigeon-app').shadowRoot.querySelectorAll('button')].find((b) => b.textContent.trim() === ${JSON.stringify(words)}); if (b) b.click(); })()`;

/** Pastes `text` into the app's code box, as a person would. */
const pasteCode = (text: string): string =>
  `(() => { const area = document.querySelector('pigeon-app').shadowRoot.querySelector('#code-text'); area.value = ${JSON.stringify(text)}; area.dispatchEvent(new Event('input')); })()`;

/**
 * The page offers first (`pi-agent answer`) through the bridge: the bridge's engine offer as the
 * page's code, the agent's answer held `holdMs` (a person walking) and pasted back, the video plays.
 */
async function offerFirstThroughBridge(t: TestContext, open: (url: string) => Promise<BuiltPage>, holdMs: number): Promise<void> {
  const agent = rig.agent(['answer', ...AGENT.slice(1)]);
  const bridge = rig.bridge();
  const page = await rig.page(open, builtPageUrl(await bridge.url, ''));
  await pageShows(page, () => true, 30_000, 'the page');
  await page.run(clickAppButton('Create an offer (for pi-agent answer)'));
  const offered = await pageShows(page, (s) => s.answer.startsWith('pigeon:'), 30_000, 'the page’s offer shown as text');
  assert.match(offered.statusText, /Waiting for the Pi’s answer…/);
  await bridge.next('offer');
  agent.write(offered.answer);
  const answer = await agent.next('answer');
  const answeredAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  await page.run(pasteCode(answer.text));
  await bridge.next('answered');
  await agent.next('viewer-joined', { where: (e) => e.viewer === answer.viewer });
  const playing = await pageShows(page, (s) => s.status === 'connected' && s.framesDecoded >= 30, 30_000, '30 frames decoded onto the canvas');
  assert.equal(playing.canvas, true);
  assert.equal(playing.alert, '', 'no error shown');
  await pageShows(page, (s) => s.telemetryFps !== null && /says hello/.test(s.hello), 15_000, 'the agent’s hello and telemetry over the channel the bridge opened');
  t.diagnostic(`${page.engine}: answer held ${holdMs} ms, pasted → 30 frames decoded by ${Date.now() - answeredAt - holdMs} ms; ${playing.fps} fps`);
}

test('Chromium with the bridge forced: Reconnect moves the built page to a new connection, frames go on', { timeout: 180_000 }, async (t) => {
  chromium = await launchChromium();
  const handle = chromium;
  await reconnectThroughBridge(t, async (url) => builtPageInChromium(handle, url));
});

test('WebKitGTK: Reconnect through the bridge, frames go on', { skip: webkitMissing(), timeout: 180_000 }, async (t) => {
  await reconnectThroughBridge(t, async (url) => builtPageInWebKit(url));
});

test('Chromium with the bridge forced: the page offers first (pi-agent answer), the answer held 5 s, the video plays', { timeout: 180_000 }, async (t) => {
  chromium ??= await launchChromium();
  const handle = chromium;
  await offerFirstThroughBridge(t, async (url) => builtPageInChromium(handle, url), 5000);
});

test('WebKitGTK: the page offers first through the bridge, the answer held 5 s, the video plays', { skip: webkitMissing(), timeout: 180_000 }, async (t) => {
  await offerFirstThroughBridge(t, async (url) => builtPageInWebKit(url), 5000);
});
