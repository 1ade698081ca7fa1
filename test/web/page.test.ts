import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { encodeBlob } from '../../src/signal/index.ts';
import { launchChromium, type ChromiumHandle } from '../support/chromium.ts';

/*
 * The built page, opened from disk: the codec runs in the browser bundle exactly as in Node.
 * (npm test builds dist/ before the node tests run.)
 */
const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const PAGE = new URL('../../dist/index.html', import.meta.url).href;
let chromium: ChromiumHandle;
let page: Page;

before(async () => {
  chromium = await launchChromium();
  page = await chromium.newPage();
  await page.goto(PAGE);
});

after(async () => {
  await chromium.close();
});

async function paste(text: string): Promise<{ status: string; alert: string; qr: boolean }> {
  await page.evaluate(`(() => {
    const root = document.querySelector('pigeon-app').shadowRoot;
    const area = root.querySelector('textarea');
    area.value = ${JSON.stringify(text)};
    area.dispatchEvent(new Event('input'));
  })()`);
  return (await page.evaluate(`(async () => {
    const app = document.querySelector('pigeon-app');
    await app.updateComplete;
    const root = app.shadowRoot;
    return {
      status: root.querySelector('[role=status]')?.textContent.replace(/\\s+/g, ' ').trim() ?? '',
      alert: root.querySelector('[role=alert]')?.textContent ?? '',
      qr: !!root.querySelector('img[src^="data:image/svg+xml"]'),
    };
  })()`)) as { status: string; alert: string; qr: boolean };
}

test('the page from file:// reads a pasted offer and shows its QR', async () => {
  const blob = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 42 });
  const shown = await paste(`  ${blob.text.slice(0, 40)}\n${blob.text.slice(40)}  `);
  assert.deepEqual(shown, { status: 'Offer #42, compact, 66 bytes', alert: '', qr: true });
});

test('a damaged paste shows the damaged message and no QR', async () => {
  const text = encodeBlob({ type: 'offer', sdp: SDP }).text;
  const shown = await paste(text.slice(0, 20) + (text[20] === 'A' ? 'B' : 'A') + text.slice(21));
  assert.equal(shown.status, '');
  assert.equal(shown.qr, false);
  assert.match(shown.alert, /This code is damaged/);
});
