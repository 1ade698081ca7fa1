import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { WebSocket } from 'ws';
import { AppPage, agentRig, appSeen, eventually, type AgentProcess } from '../harness/index.ts';

/*
 * <pigeon-viewer> carried by an app's own link, nothing typed or scanned: the test is the app. Its
 * WebSocket (loopback) has the agent's stdin and --json stdout on one end and the page's element
 * on the other, wired as docs/carriers.md shows: the Pi's offer goes in as `offer`, the element's
 * `answer` event comes back; or the element offers (`createOffer()`, the `offer` event) to
 * `pi-agent answer` and is given the agent's answer as `answer`. Uses dist/lib/pigeon.js.
 */
const rig = agentRig();
const VIDEO = ['--source', 'test', '--width', '640', '--height', '480', '--fps', '30'];
const apps: AppPage[] = [];

afterEach(async () => {
  await Promise.allSettled(apps.splice(0).map((a) => a.close()));
});

/** The app's side of its link: relays what the agent shows to the page, and what the page sends to the agent. */
function relay(agent: AgentProcess, piOffers: boolean): (socket: WebSocket) => void {
  return (socket) => {
    const send = (type: 'offer' | 'answer', text: string): void => socket.send(JSON.stringify({ type, text }));
    if (piOffers) void agent.next('offer', { timeoutMs: 60_000 }).then((offer) => send('offer', offer.text), () => socket.close());
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string; text: string };
      const seen = agent.events.length;
      agent.write(message.text);
      if (message.type === 'offer') void agent.next('answer', { after: seen, timeoutMs: 60_000 }).then((answer) => send('answer', answer.text), () => socket.close());
    });
  };
}

async function plays(agent: AgentProcess, piOffers: boolean): Promise<void> {
  const started = Date.now();
  const app = await AppPage.start(relay(agent, piOffers));
  apps.push(app);
  const page = await app.open(rig.chromium(), app.linkUrl, !piOffers);
  const seen = await eventually(() => appSeen(page), (s) => s.frames >= 30 || s.errors.length > 0, 90_000, 250);
  assert.deepEqual(seen.errors, [], JSON.stringify(seen));
  assert.ok(seen.frames >= 30, `${seen.frames} frames presented: ${JSON.stringify(seen)}\nagent: ${agent.stderr}`);
  assert.equal(seen.status, 'connected');
  assert.deepEqual(seen.carried, [piOffers ? 'offer' : 'answer'], 'one blob came over the link; the other went back');
  console.log(`app link (${piOffers ? 'Pi offers' : 'page offers'}): ${seen.firstFrameAt - started} ms from the agent's start to the first frame presented`);
}

test("the Pi's offer over the app's own WebSocket: the element answers over it, and the video plays", async () => {
  await plays(rig.startAgent(['offer', ...VIDEO]), true);
});

test("the element offers over the app's own WebSocket to pi-agent answer, takes its answer, and the video plays", async () => {
  await plays(rig.startAgent(['answer', ...VIDEO]), false);
});
