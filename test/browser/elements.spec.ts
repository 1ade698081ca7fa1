import { expect } from 'chai';
// The built bundle registers the elements, as in an embedding app; the types are the sources'.
import '../../dist/lib/pigeon.js';
import type { PigeonViewer, QrView, ViewerErrorDetail } from '../../src/index.ts';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';

/*
 * Each element through its public API, in Chromium (@web/test-runner): create it, set a
 * property or attribute, click, await updateComplete, then read its shadow DOM and its events.
 */
const SDP = await (await fetch(new URL('../fixtures/werift-offer.sdp', import.meta.url))).text();
const OFFER = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 5 }).text;

function nextEvent<T extends Event>(target: EventTarget, type: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
    target.addEventListener(type, (event) => (clearTimeout(timer), resolve(event as T)), { once: true });
  });
}

const errorCode = (event: Event): string => (event as CustomEvent<ViewerErrorDetail>).detail.code;

function mount<T extends HTMLElement>(html: string): T {
  document.body.innerHTML = html;
  return document.body.firstElementChild as T;
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('<pigeon-viewer>', () => {
  it('answers the offer property with an answer event carrying a blob for that offer id', async () => {
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    const answered = nextEvent<CustomEvent<{ text: string; offerId: number }>>(viewer, 'answer');
    viewer.offer = OFFER;
    const { detail } = await answered;
    expect(detail.offerId).to.equal(5);
    const decoded = decodeBlob(detail.text, { expect: 'answer' });
    expect(decoded.offerId).to.equal(5);
    expect(decoded.sdp).to.match(/a=setup:active/);
    await viewer.updateComplete;
    const status = viewer.shadowRoot!.querySelector('[part=status]')!;
    expect(['waiting', 'connecting']).to.include(status.getAttribute('data-status'));
    expect(viewer.shadowRoot!.querySelector('[role=alert]')).to.equal(null);
  });

  it('shows the damaged message and fires error E_CHECKSUM for a damaged offer attribute', async () => {
    const damaged = OFFER.slice(0, 20) + (OFFER[20] === 'A' ? 'B' : 'A') + OFFER.slice(21);
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    const failed = nextEvent(viewer, 'error');
    viewer.setAttribute('offer', damaged);
    expect(errorCode(await failed)).to.equal('E_CHECKSUM');
    await viewer.updateComplete;
    expect(viewer.shadowRoot!.querySelector('[role=alert]')?.textContent).to.match(/damaged/);
  });

  it('refuses an answer given as the offer with E_EXPECTED_OFFER', async () => {
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    const failed = nextEvent(viewer, 'error');
    viewer.offer = encodeBlob({ type: 'answer', sdp: SDP.replaceAll('actpass', 'active') }, { offerId: 5 }).text;
    expect(errorCode(await failed)).to.equal('E_EXPECTED_OFFER');
  });

  it('hides and shows its stats from the Stats button, reflected as stats-hidden', async () => {
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    await viewer.updateComplete;
    const button = [...viewer.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Stats')!;
    expect(viewer.hasAttribute('stats-hidden')).to.equal(false);
    button.click();
    await viewer.updateComplete;
    expect(viewer.statsHidden).to.equal(true);
    expect(viewer.hasAttribute('stats-hidden')).to.equal(true);
    button.click();
    await viewer.updateComplete;
    expect(viewer.hasAttribute('stats-hidden')).to.equal(false);
  });
});

describe('<qr-view>', () => {
  it('draws the data as a square canvas with the label for screen readers', async () => {
    const view = mount<QrView>('<qr-view label="QR code of the answer"></qr-view>');
    view.data = encodeBlob({ type: 'offer', sdp: SDP }).bytes;
    await view.updateComplete;
    const canvas = view.shadowRoot!.querySelector('canvas')!;
    expect(canvas.getAttribute('aria-label')).to.equal('QR code of the answer');
    expect(canvas.width).to.be.greaterThan(100);
    expect(canvas.width).to.equal(canvas.height);
  });
});

describe('<qr-scan>', () => {
  it('reads a dropped picture of a code once, also after the element was moved', async () => {
    const scan = mount<HTMLElement>('<div><qr-scan></qr-scan></div><section></section><qr-view></qr-view>').querySelector('qr-scan')!;
    // Moved: connected a second time, as when a page rearranges itself.
    document.querySelector('section')!.append(scan);
    const view = document.querySelector<QrView>('qr-view')!;
    view.data = decodeBlob(OFFER).frame;
    await view.updateComplete;
    const canvas = view.shadowRoot!.querySelector('canvas')!;
    const png = await new Promise<Blob>((resolve) => canvas.toBlob((blob) => resolve(blob!), 'image/png'));
    const transfer = new DataTransfer();
    transfer.items.add(new File([png], 'offer.png', { type: 'image/png' }));
    const scans: string[] = [];
    scan.addEventListener('scan', (event) => scans.push((event as CustomEvent<{ text: string }>).detail.text));
    scan.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    await nextEvent(scan, 'scan');
    // A second read would come right after the first: give it time to show.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(scans).to.deep.equal([OFFER]);
  });
});
