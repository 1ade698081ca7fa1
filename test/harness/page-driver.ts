import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CDPSession, Page } from 'puppeteer-core';
import type { ChromiumHandle } from './chromium.ts';

/*
 * Drives the built page (dist/index.html) as a person would, for the page and scanning tests:
 * opened from file:// with every other request failed, read through its shadow DOM, and saved
 * as screenshots at a phone's and a desktop's size under docs/screenshots/.
 */
export const PAGE = new URL('../../dist/index.html', import.meta.url).href;
const SHOTS = new URL('../../docs/screenshots/', import.meta.url);
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

/** `init` runs in the page before its own scripts, e.g. to keep hold of objects the page makes. */
export async function open(chromium: ChromiumHandle, url = PAGE, init?: string): Promise<Opened> {
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
  // tsx names functions with __name(); the page has none, and evaluate() ships function source.
  await page.evaluateOnNewDocument('globalThis.__name = (f) => f');
  if (init) await page.evaluateOnNewDocument(init);
  await resize(page, SIZES.desktop);
  await page.goto(url);
  // A tab behind others decodes but does not play or paint its <video>: this one is looked at.
  await page.bringToFront();
  return { page, blocked, errors };
}

/** What a person sees of the app, read from its shadow DOM. */
export interface Seen {
  alert: string;
  answer: string;
  instruction: string;
  qr: { width: number; shown: number } | null;
  status: string;
  viewerStatus: string;
  /** The viewer's status line as shown, e.g. "Waiting for the Pi to read the answer… · 0:35". */
  viewerStatusText: string;
  viewerAlert: string;
  hello: string;
  /** The camera scanner's state line and its message (a refused code, a camera problem). */
  scan: string;
}

export function look(page: Page): Promise<Seen> {
  return page.evaluate(async () => {
    const app = document.querySelector('pigeon-app')!;
    await app.updateComplete;
    const root = app.shadowRoot!;
    const viewer = root.querySelector('pigeon-viewer');
    await viewer?.updateComplete;
    const text = (el: Element | null | undefined): string => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
    const canvas = root.querySelector('qr-view')?.shadowRoot?.querySelector('canvas');
    return {
      alert: text(root.querySelector('[role=alert]')),
      answer: root.querySelector<HTMLTextAreaElement>('#mine-text')?.value ?? '',
      instruction: text(root.querySelector('.instruction')),
      qr: canvas ? { width: canvas.width, shown: canvas.getBoundingClientRect().width } : null,
      status: text(root.querySelector('[role=status]')),
      viewerStatus: viewer?.shadowRoot?.querySelector('[part=status]')?.getAttribute('data-status') ?? '',
      viewerStatusText: text(viewer?.shadowRoot?.querySelector('[part=status]')),
      viewerAlert: text(viewer?.shadowRoot?.querySelector('[role=alert]')),
      hello: text(viewer?.shadowRoot?.querySelector('.hello')),
      scan: text(root.querySelector('qr-scan')?.shadowRoot?.querySelector('.state')) + ' | ' + text(root.querySelector('qr-scan')?.shadowRoot?.querySelector('.message')),
    };
  });
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
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(new URL(`${state}-${name}.png`, SHOTS), Buffer.from(shot.data, 'base64'));
  }
  await resize(page, SIZES.desktop);
}

/**
 * Epoch ms at which the viewer's <video> had its first frame, waiting up to `timeoutMs` (checked
 * every few ms inside the page, so the time is not rounded to a polling step out here).
 */
export function firstFrame(page: Page, timeoutMs: number): Promise<number> {
  return page.evaluate(async (limit) => {
    const until = Date.now() + limit;
    for (;;) {
      const viewer = document.querySelector('pigeon-app')?.shadowRoot?.querySelector('pigeon-viewer');
      const video = viewer?.shadowRoot?.querySelector('video');
      if (video && video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0) return Date.now();
      if (Date.now() > until) throw new Error(`no video frame within ${limit} ms (viewer status: ${viewer?.status ?? 'no viewer'})`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }, timeoutMs);
}
