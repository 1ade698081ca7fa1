import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import WebSocket from 'ws';
import { AgentProcess, BridgeProcess, type ChromiumHandle, eventually, launchChromium } from '../harness/index.ts';
import { chromiumPage, webkitMissing, webkitPage, type PageDriver, type Snapshot } from './page-driver.ts';
import { buildTestPage, pageUrl } from './test-page.ts';

/*
 * End to end through the bridge: the real agent on its test source, the real bridge, and a page
 * that has only the bridge client and src/playback (WebSocket + WebCodecs onto a canvas) in Chromium and in Debian's
 * WebKitGTK, the engine of Tauri's Linux webview, which has no RTCPeerConnection. The page's
 * answer goes to the agent as text, as a person would carry it.
 */
// A periodic keyframe only every 60 s: a keyframe within the bound after the page asks is its own.
const AGENT = ['offer', '--source', 'test', '--width', '640', '--height', '480', '--fps', '30', '--bitrate', '2000', '--stats-interval', '1', '--keyframe-interval', '60'];

let page: string;
let chromium: ChromiumHandle | undefined;
const agents: AgentProcess[] = [];
const bridges: BridgeProcess[] = [];
const pages: PageDriver[] = [];

before(async () => {
  page = await buildTestPage();
});
// Each test's agent, bridge and page stop when it ends: on 2 shared cores, those left running
// slowed a later test's first connection until it failed.
afterEach(async () => {
  await Promise.allSettled(pages.splice(0).map((p) => p.close()));
  await Promise.allSettled([...agents.splice(0).map((a) => a.stop()), ...bridges.splice(0).map((b) => b.stop())]);
});
after(async () => {
  await chromium?.close();
});

async function snapshotWhere(driver: PageDriver, done: (s: Snapshot) => boolean, boundMs: number, what: string): Promise<Snapshot> {
  const last = await eventually(() => driver.snapshot(), (s) => s !== undefined && done(s), boundMs, 200);
  assert.ok(last && done(last), `${driver.engine}: ${what} within ${boundMs} ms; the page says ${JSON.stringify(last)}`);
  return last;
}

/** The agent's offer → the page (URL fragment) → the bridge's answer → the agent: video on the canvas. */
async function watch(open: (url: string) => Promise<PageDriver>, query = ''): Promise<{ agent: AgentProcess; bridge: BridgeProcess; driver: PageDriver }> {
  const agent = new AgentProcess(AGENT);
  agents.push(agent);
  const bridge = new BridgeProcess();
  bridges.push(bridge);
  const [offer, url] = await Promise.all([agent.next('offer'), bridge.url]);
  const driver = await open(pageUrl(page, url, offer.text).replace('?', `?${query}`));
  pages.push(driver);
  // The bridge sends the answer and then the status: a snapshot may fall between the two.
  const answered = await snapshotWhere(driver, (s) => s.answer !== null && s.statuses.includes('waiting'), 30_000, 'an answer from the bridge, and the status saying it waits');
  assert.equal(answered.webcodecs, true);
  assert.match(answered.answer ?? '', /^pigeon:/);
  agent.write(answered.answer ?? '');
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  await bridge.next('viewer-connected');
  return { agent, bridge, driver };
}

/** 30 frames decoded at the source's size, and the picture on the canvas moving. */
async function plays(driver: PageDriver): Promise<void> {
  const playing = await snapshotWhere(driver, (s) => (s.framesDecoded ?? 0) >= 30 && s.statuses.includes('connected'), 30_000, '30 frames decoded');
  assert.equal(playing.width, 640);
  assert.equal(playing.height, 480);
  assert.equal(playing.errors.length, 0, `no errors: ${playing.errors.join(', ')}`);
  // videotestsrc's pattern scrolls: the canvas shows a new picture as frames are drawn.
  await snapshotWhere(driver, (s) => s.pixels !== 0 && s.pixels !== playing.pixels, 10_000, 'the canvas picture changing');
}

async function playsAndSteers(driver: PageDriver): Promise<void> {
  await plays(driver);
  await snapshotWhere(driver, (s) => s.telemetry >= 1, 15_000, "the agent's telemetry over the data channel");
  const before = await snapshotWhere(driver, (s) => (s.framesDecoded ?? 0) >= 60, 30_000, '60 frames decoded');
  await driver.run('bridgeTest.keyframe()');
  await snapshotWhere(driver, (s) => s.keyframesOnWire > before.keyframesOnWire, 10_000, 'a keyframe after asking for one (the periodic one is 60 s away)');
}

test('Chromium: the page gets the answer, the agent takes it, frames are decoded and drawn, telemetry arrives, a keyframe comes when asked, a message reaches the agent; a reload picks the viewer up again; the agent\'s bye reaches the page', async () => {
  chromium = await launchChromium();
  const handle = chromium;
  const { agent, bridge, driver } = await watch((url) => chromiumPage(handle, url));
  await playsAndSteers(driver);
  // The page's data-channel messages reach the agent as they were sent.
  const message = '{"v":1,"type":"keyframe"}';
  await driver.run(`bridgeTest.send(${JSON.stringify(message)})`);
  await agent.next('message', { where: (e) => e.text === message });

  // A reload: the page takes its viewer over again (token in sessionStorage); the agent sees no one leave.
  const events = bridge.events.length;
  await driver.reload();
  await bridge.next('viewer-attached', { after: events });
  await snapshotWhere(driver, (s) => (s.framesDecoded ?? 0) >= 10 && s.phase === 'attaching', 20_000, 'video again after a reload');
  assert.equal(agent.events.filter((e) => e.type === 'viewer-left').length, 0, 'the agent kept its viewer through the reload');

  // The agent stops: its bye reaches the page as a closed status with the reason; the bridge carries on.
  await agent.stop();
  await snapshotWhere(driver, (s) => s.statuses.includes('closed:E_AGENT_BYE'), 10_000, "the agent's goodbye");
  await bridge.next('viewer-closed', { where: (e) => e.code === 'E_AGENT_BYE' });
  const hello = await new Promise<string>((resolve, reject) => {
    const socket = new WebSocket(bridge.events.find((e) => e.type === 'listening')?.url ?? '');
    socket.once('message', (data) => (resolve(String(data)), socket.close()));
    socket.once('error', reject);
  });
  assert.match(hello, /"type":"hello"/);
});

const missing = webkitMissing();
test("WebKitGTK (Tauri's Linux webview, no RTCPeerConnection): the same answer, video drawn, telemetry and a keyframe on request", { skip: missing }, async () => {
  const { driver } = await watch(async (url) => webkitPage(url));
  const first = await driver.snapshot();
  assert.equal(first?.webrtc, false, 'this WebKitGTK has no RTCPeerConnection: the bridge is the only way');
  await playsAndSteers(driver);
});

test('WebKitGTK with VP8 (a page that decodes only VP8 gets it from the agent\'s second encoder)', { skip: missing }, async () => {
  const { driver } = await watch(async (url) => webkitPage(url), 'codecs=VP8&');
  await plays(driver);
  assert.equal((await driver.snapshot())?.codec, 'VP8');
});
