import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { PageServer } from '../../pi-agent/src/output/page-server.ts';
import { type ChromiumHandle, launchChromium, PAGE, until } from '../harness/index.ts';
import { encodeBlob, frameToLink } from '../../src/signal/index.ts';

/*
 * The page as an installable, offline-capable app, checked the way Lighthouse would but by
 * assertion: served over http://127.0.0.1 (a secure context, like any https host) by the
 * agent's own page server, which serves the committed copy of the build.
 */
let chromium: ChromiumHandle;
let server: PageServer | undefined;
before(async () => {
  chromium = await launchChromium();
  server = await PageServer.start({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await server?.close();
  await chromium?.close();
});

async function appTitle(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const app = document.querySelector('pigeon-app');
    await app?.updateComplete;
    return app?.shadowRoot?.querySelector('h1')?.textContent ?? '';
  });
}

test('manifest valid, installable, the service worker caches the page, and it opens offline after one visit', async () => {
  const url = server!.url;
  const page = await chromium.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  const session = await page.createCDPSession();
  // tsx names functions with __name(); the page has none, and evaluate() ships function source.
  await page.evaluateOnNewDocument('globalThis.__name = (f) => f');
  await page.goto(url);
  assert.equal(await appTitle(page), 'Pigeon');

  const manifest = await session.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, [], 'the manifest parses without errors');
  assert.equal(manifest.url, new URL('manifest.webmanifest', url).href);
  const parsed = JSON.parse(manifest.data ?? '{}') as { name?: string; short_name?: string; start_url?: string; display?: string; icons?: { sizes: string; type: string }[] };
  assert.equal(parsed.short_name, 'Pigeon');
  assert.equal(parsed.display, 'standalone');
  for (const size of ['192x192', '512x512']) assert.ok(parsed.icons?.some((i) => i.sizes === size && i.type === 'image/png'), `a ${size} PNG icon`);

  const ready = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return registration.scope;
  });
  assert.equal(ready, url);
  // The worker's install caches the page's files; wait for them generously on a busy machine.
  const deadline = Date.now() + 30_000;
  let cached: string[] = [];
  while (Date.now() < deadline) {
    cached = await page.evaluate(async () => {
      const names = await caches.keys();
      const all = await Promise.all(names.map(async (name) => (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname)));
      return all.flat().sort();
    });
    if (cached.includes('/') && cached.includes('/index.html')) break;
    await sleep(200);
  }
  assert.ok(cached.includes('/') && cached.includes('/index.html') && cached.includes('/manifest.webmanifest'), `cached: ${cached.join(', ')}`);
  const installability = await session.send('Page.getInstallabilityErrors');
  assert.deepEqual(installability.installabilityErrors.map((e) => e.errorId), [], 'nothing keeps it from being installed');

  // A secure context: the screen is kept on while the answer waits for the Pi's camera.
  const offer = encodeBlob({ type: 'offer', sdp: readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8') }, { offerId: 5 });
  await page.goto(frameToLink(url, offer.bytes));
  await until(page, 'the answer', (seen) => seen.answer !== '', 30_000);
  const lock = async (): Promise<string> =>
    page.evaluate(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('section[data-wake-lock]')?.getAttribute('data-wake-lock') ?? 'none');
  const deadline2 = Date.now() + 15_000;
  while ((await lock()) !== 'held' && Date.now() < deadline2) await sleep(100);
  assert.equal(await lock(), 'held');
  assert.equal(await page.evaluate(() => (navigator as Navigator & { wakeLock: unknown }).wakeLock !== undefined), true);

  // Offline: DevTools' offline mode, and the server gone as well.
  await session.send('Network.enable');
  await session.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await server!.close();
  server = undefined;
  await page.reload();
  assert.equal(await appTitle(page), 'Pigeon', 'the page opens with no network');
  // A link the Pi made still works offline: the fragment never needed the network.
  await page.goto(`${url}#pigeon:not-a-real-code`);
  assert.equal(await appTitle(page), 'Pigeon');
  assert.deepEqual(errors, []);
  await page.close();
});

test('opened from disk: the same single file, no manifest and no service worker', async () => {
  const page = await chromium.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  // Any console line at all: a registration tried and refused would warn.
  page.on('console', (message) => errors.push(`${message.type()}: ${message.text()}`));
  await page.goto(PAGE);
  assert.equal(await appTitle(page), 'Pigeon');
  const seen = await page.evaluate(() => ({
    manifest: document.querySelector('link[rel=manifest]') !== null,
    controlled: navigator.serviceWorker?.controller != null,
  }));
  assert.deepEqual(seen, { manifest: false, controlled: false });
  assert.deepEqual(errors, []);
  await page.close();
});
