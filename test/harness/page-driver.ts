import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CDPSession, JSHandle, Page } from 'puppeteer-core';
import type { AgentProcess } from './agent-process.ts';
import type { ChromiumHandle } from './chromium.ts';
import type { AppProbe, AppProbeGlobal, Seen } from './page/app-api.ts';
import { pageScript } from './page-script.ts';
import { screenshotDir } from './screenshot-dir.ts';

export type { Seen } from './page/app-api.ts';

/*
 * Drives the built page (dist/index.html) as a person would, for the page and scanning tests:
 * opened from file:// with every other request failed, read through its shadow DOM (by
 * page/app-probe.ts, loaded into the page before its own scripts), and saved as screenshots at a
 * phone's and a desktop's size (under docs/screenshots/ with PIGEON_SCREENSHOTS=1: screenshot-dir.ts).
 */
export const PAGE = new URL('../../dist/index.html', import.meta.url).href;
const SIZES = {
  phone: { width: 390, height: 844, mobile: true },
  desktop: { width: 1280, height: 800, mobile: false },
} as const;

export interface Opened {
  page: Page;
  /** Requests the page tried to make to anything but file:// (all were failed). */
  blocked: string[];
  /** Console errors, CSP violations included. */
  errors: string[];
}

export interface OpenOptions {
  /** Keep each RTCPeerConnection the page makes, for `probe(page)` to read (behaviour untouched). */
  keepPeerConnections?: boolean;
  /** Scripts run in the page before its own, e.g. to take an API away as an engine without it would be. */
  initScripts?: string[];
}

export async function open(chromium: ChromiumHandle, url = PAGE, options: OpenOptions = {}): Promise<Opened> {
  const page = await chromium.newPage();
  const blocked: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url().startsWith('file:')) void request.continue();
    else {
      blocked.push(request.url());
      void request.abort('internetdisconnected');
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  // tsx names functions with __name(); the page has none, and the tests' small evaluate() callbacks ship their source.
  await page.evaluateOnNewDocument('globalThis.__name = (f) => f');
  await page.evaluateOnNewDocument(await pageScript('app-probe'));
  if (options.keepPeerConnections) await page.evaluateOnNewDocument(() => (globalThis as unknown as AppProbeGlobal).pigeonAppProbe.keepPeerConnections());
  for (const script of options.initScripts ?? []) await page.evaluateOnNewDocument(script);
  await resize(page, SIZES.desktop);
  await page.goto(url);
  // A tab behind others decodes but does not play or paint its <video>: this one is looked at.
  await page.bringToFront();
  return { page, blocked, errors };
}

type Viewer = HTMLElementTagNameMap['pigeon-viewer'];

/** Runs `body` in the built page with its `<pigeon-viewer>` (rendered) as its argument. */
export async function inViewer<T, A = undefined>(page: Page, body: (viewer: Viewer, arg: A) => T | Promise<T>, arg?: A): Promise<T> {
  const handle = await page.evaluateHandle(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!);
  try {
    await handle.evaluate((viewer) => viewer.updateComplete);
    return (await handle.evaluate(body as (viewer: Viewer, arg: unknown) => T, arg as unknown)) as T;
  } finally {
    await handle.dispose();
  }
}

/** Loads the probe into `page` unless it is there already (a page this module did not open). */
async function ensureProbe(page: Page): Promise<void> {
  if (!(await page.evaluate(() => 'pigeonAppProbe' in globalThis))) await page.evaluate(await pageScript('app-probe'));
}

/** The probe in the page, to run a few lines of a test against the page's own objects. */
export async function probe(page: Page): Promise<JSHandle<AppProbe>> {
  await ensureProbe(page);
  return page.evaluateHandle(() => (globalThis as unknown as AppProbeGlobal).pigeonAppProbe);
}

export async function look(page: Page): Promise<Seen> {
  await ensureProbe(page);
  return page.evaluate(() => (globalThis as unknown as AppProbeGlobal).pigeonAppProbe.look());
}

export async function paste(page: Page, text: string): Promise<Seen> {
  await page.evaluate((value) => {
    const area = document.querySelector('pigeon-app')!.shadowRoot!.querySelector<HTMLTextAreaElement>('#code-text')!;
    area.value = value;
    area.dispatchEvent(new Event('input'));
  }, text);
  return look(page);
}

export async function until(page: Page, what: string, done: (seen: Seen) => boolean, timeoutMs = 15_000): Promise<Seen> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await look(page);
    if (done(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms: ${JSON.stringify(seen)}`);
    await sleep(100);
  }
}

/**
 * Sets the window size; `mobile` gives a phone's overlay scrollbars and viewport handling.
 * Straight through DevTools: puppeteer's setViewport reloads the page when `isMobile` changes,
 * which would drop the connection being shown.
 */
const sessions = new WeakMap<Page, CDPSession>();

export async function resize(page: Page, size: (typeof SIZES)[keyof typeof SIZES]): Promise<void> {
  let session = sessions.get(page);
  if (!session) {
    // Puppeteer's own 800×600 override would compete with ours.
    await page.setViewport(null);
    session = await page.createCDPSession();
    sessions.set(page, session);
  }
  await session.send('Emulation.setDeviceMetricsOverride', { ...size, deviceScaleFactor: 1 });
}

/** Saves the whole page as it is now at both sizes (taller than the window when it scrolls). */
export async function screenshots(page: Page, state: string): Promise<void> {
  for (const [name, size] of Object.entries(SIZES)) {
    await resize(page, size);
    await sleep(200);
    const height = Math.max(size.height, await page.evaluate(() => document.documentElement.scrollHeight));
    const shot = await sessions.get(page)!.send('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: size.width, height, scale: 1 },
    });
    writeFileSync(join(screenshotDir(), `${state}-${name}.png`), Buffer.from(shot.data, 'base64'));
  }
  await resize(page, SIZES.desktop);
}

/** Epoch ms at which the viewer's <video> had its first frame, waiting up to `timeoutMs`. */
export async function firstFrame(page: Page, timeoutMs: number): Promise<number> {
  await ensureProbe(page);
  return page.evaluate((limit) => (globalThis as unknown as AppProbeGlobal).pigeonAppProbe.firstFrame(limit), timeoutMs);
}

/** A fresh page given the agent's next offer, its answer handed back, until it plays: the page watching `agent`. */
export async function watchAgent(agent: AgentProcess, chromium: ChromiumHandle): Promise<Page> {
  const offer = await agent.next('offer', { timeoutMs: 30_000 });
  const { page } = await open(chromium);
  await paste(page, offer.text);
  const shown = await until(page, 'the answer', (s) => s.answer !== '');
  agent.write(shown.answer);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  await until(page, 'connected', (s) => s.viewerStatus === 'connected', 30_000);
  return page;
}
