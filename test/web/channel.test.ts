import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { AgentProcess } from '../agent/agent-process.ts';
import { launchChromium, type ChromiumHandle } from '../support/chromium.ts';
import { look, open, paste, until } from './driver.ts';

/*
 * The data channel between the built page and the real agent (issue 6): telemetry shown,
 * malformed messages refused with an error reply while the session stays up. The page is
 * driven as a person would; the viewer's public API stands in for clicks where a test needs
 * numbers back.
 */
let chromium: ChromiumHandle;
const agents: AgentProcess[] = [];

before(async () => {
  chromium = await launchChromium();
});

after(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await chromium.close();
});

/** A real agent and the page watching it, connected; every event the viewer fires is kept in `pigeonFired`. */
async function watch(args: string[] = []): Promise<{ agent: AgentProcess; page: Page; errors: string[]; viewer: number }> {
  const agent = new AgentProcess(['offer', '--source', 'test', '--width', '640', '--height', '480', '--fps', '30', ...args]);
  agents.push(agent);
  const offer = await agent.next('offer');
  const { page, errors } = await open(chromium);
  await page.evaluate(() => {
    const fired: { type: string; detail: unknown }[] = [];
    (globalThis as unknown as { pigeonFired: typeof fired }).pigeonFired = fired;
    for (const type of ['telemetry', 'settings', 'stats']) document.addEventListener(type, (event) => fired.push({ type, detail: (event as CustomEvent).detail }));
  });
  await paste(page, offer.text);
  const shown = await until(page, 'the answer', (s) => s.answer !== '');
  agent.write(shown.answer);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  await until(page, 'connected', (s) => s.viewerStatus === 'connected' && s.hello !== '');
  return { agent, page, errors, viewer: offer.offerId! };
}

type Viewer = HTMLElementTagNameMap['pigeon-viewer'];

/** Runs `body` in the page with the `<pigeon-viewer>` as its argument. */
async function inViewer<T, A = undefined>(page: Page, body: (viewer: Viewer, arg: A) => T | Promise<T>, arg?: A): Promise<T> {
  const handle = await page.evaluateHandle(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!);
  try {
    await handle.evaluate((viewer) => viewer.updateComplete);
    return (await handle.evaluate(body as (viewer: Viewer, arg: unknown) => T, arg as unknown)) as T;
  } finally {
    await handle.dispose();
  }
}

/** The stats overlay's Pi rows, by key. */
function agentStats(page: Page): Promise<Record<string, string>> {
  return inViewer(page, (viewer) =>
    Object.fromEntries([...viewer.shadowRoot!.querySelectorAll('.stats dd[data-key]')].map((dd) => [dd.getAttribute('data-key'), dd.textContent?.trim() ?? ''])),
  );
}

test('telemetry from the agent arrives about once a second, fires telemetry events and is shown in the stats overlay', async () => {
  const { agent, page, errors, viewer } = await watch();
  const hello = await look(page);
  assert.match(hello.hello, new RegExp(`pi-agent says hello \\(viewer #${viewer}\\)`));
  const start = Date.now();
  let shown: Record<string, string> = {};
  while (Date.now() - start < 10_000) {
    shown = await agentStats(page);
    if (shown.fps && shown.fps !== '0' && shown.viewers) break;
    await sleep(200);
  }
  assert.match(shown.fps ?? '', /^\d+$/);
  assert.ok(Number(shown.fps) >= 20, `agent fps ${shown.fps}`);
  assert.match(shown.kbps ?? '', /^\d+ kbit\/s$/);
  assert.equal(shown.viewers, '1');
  assert.match(shown.cpu ?? '', /^\d+\.\d %$/);
  await sleep(2500);
  const telemetry = (await page.evaluate(() =>
    (globalThis as unknown as { pigeonFired: { type: string; detail: unknown }[] }).pigeonFired.filter((e) => e.type === 'telemetry').map((e) => e.detail),
  )) as { fps: number; kbps: number; viewers: number; cpu: number; tempC?: number }[];
  assert.ok(telemetry.length >= 2, `${telemetry.length} telemetry events`);
  const last = telemetry.at(-1)!;
  assert.equal(last.viewers, 1);
  assert.ok(last.kbps > 0 && last.cpu >= 0, JSON.stringify(last));
  assert.deepEqual(await inViewer(page, (v) => v.telemetry?.viewers), 1);
  assert.deepEqual(errors, []);
  await page.close();
  await agent.stop();
});

test('malformed messages from the page are refused by the agent with an error reply; the session stays up', async () => {
  const { agent, page, viewer } = await watch();
  await inViewer(page, (v) => {
    const replies: unknown[] = [];
    (globalThis as unknown as { pigeonReplies: unknown[] }).pigeonReplies = replies;
    v.channel!.addEventListener('message', (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as { type: string };
      if (message.type === 'error') replies.push(message);
    });
    v.channel!.send('this is not JSON');
    v.channel!.send(JSON.stringify({ v: 1, type: 'set', bitrate: 'fast' }));
    v.channel!.send(JSON.stringify({ v: 1, type: 'something-new' }));
    v.channel!.send('x'.repeat(20_000));
  });
  const refused = await agent.next('refused', { where: (e) => e.code === 'E_MSG_TOO_LARGE' });
  assert.match(refused.reason, new RegExp(`viewer #${viewer}`));
  // werift's data channel sometimes holds a message back for about a second: wait for all three.
  const deadline = Date.now() + 5000;
  let replies: { v: number; code: string; message: string }[] = [];
  while (Date.now() < deadline) {
    replies = (await page.evaluate(() => (globalThis as unknown as { pigeonReplies: unknown[] }).pigeonReplies)) as typeof replies;
    if (replies.length >= 3) break;
    await sleep(100);
  }
  await sleep(300);
  replies = (await page.evaluate(() => (globalThis as unknown as { pigeonReplies: unknown[] }).pigeonReplies)) as typeof replies;
  assert.deepEqual(
    replies.map((r) => [r.v, r.code]),
    [
      [1, 'E_MSG_NOT_JSON'],
      [1, 'E_MSG_MALFORMED'],
      [1, 'E_MSG_TOO_LARGE'],
    ],
    'one error reply each, none for the unknown type',
  );
  // Still up: connected, and telemetry still arriving.
  const count = (): Promise<number> => page.evaluate(() => (globalThis as unknown as { pigeonFired: { type: string }[] }).pigeonFired.filter((e) => e.type === 'telemetry').length);
  const before = await count();
  await sleep(2500);
  assert.ok((await count()) > before, 'telemetry keeps coming');
  assert.equal((await look(page)).viewerStatus, 'connected');
  await page.close();
  await agent.stop();
});
