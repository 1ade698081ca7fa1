import { expect } from 'chai';
import type jsQRType from 'jsqr';
// The built bundle registers the elements, as in an embedding app; the types are the sources'.
import '../../dist/lib/pigeon.js';
import type { AnswerDetail, OfferDetail, PigeonViewer, QrView, ViewerErrorDetail } from '../../src/index.ts';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';

/*
 * Each element through its public API, in Chromium (@web/test-runner): create it, set a
 * property or attribute, click, await updateComplete, then read its shadow DOM and its events.
 */
const SDP = await (await fetch(new URL('../fixtures/werift-offer.sdp', import.meta.url))).text();
const OFFER = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 5 }).text;
/** An answer (the Pi's side of a page's offer) to the offer with `offerId`. */
const answerTo = (offerId: number): string => encodeBlob({ type: 'answer', sdp: SDP.replaceAll('a=setup:actpass', 'a=setup:active') }, { offerId }).text;

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

/** The viewer's shadow DOM as a person would read it. */
async function viewerView(viewer: PigeonViewer): Promise<{ status: string; statusText: string; alert: string; alertCode: string; stats: boolean; pressed: string }> {
  await viewer.updateComplete;
  const root = viewer.shadowRoot!;
  const status = root.querySelector('[part=status]')!;
  const alert = root.querySelector('[role=alert]');
  return {
    status: status.getAttribute('data-status') ?? '',
    statusText: status.textContent?.trim() ?? '',
    alert: alert?.textContent?.trim() ?? '',
    alertCode: alert?.getAttribute('data-code') ?? '',
    stats: root.querySelector('[part=stats]') !== null,
    pressed: root.querySelector('.controls button')?.getAttribute('aria-pressed') ?? '',
  };
}

/** jsqr, as the classic script it ships as (it has no ES module build). */
async function loadJsQR(): Promise<typeof jsQRType> {
  const holder = globalThis as unknown as { jsQR?: typeof jsQRType };
  if (!holder.jsQR) {
    const script = document.createElement('script');
    script.src = new URL('../../node_modules/jsqr/dist/jsQR.js', import.meta.url).href;
    const loaded = nextEvent(script, 'load');
    document.head.append(script);
    await loaded;
  }
  if (!holder.jsQR) throw new Error('jsQR.js did not define jsQR');
  return holder.jsQR;
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('<pigeon-viewer>', () => {
  it('answers the offer property with an answer event carrying a blob for that offer id, and counts the wait', async () => {
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    const answered = nextEvent<CustomEvent<AnswerDetail>>(viewer, 'answer');
    viewer.offer = OFFER;
    const { detail } = await answered;
    expect(detail.offerId).to.equal(5);
    const decoded = decodeBlob(detail.text, { expect: 'answer' });
    expect(decoded.offerId).to.equal(5);
    expect([...decoded.frame]).to.deep.equal([...detail.bytes]);
    expect(decoded.sdp).to.match(/a=setup:active/);
    const view = await viewerView(viewer);
    expect(['waiting', 'connecting']).to.include(view.status);
    // With how long it has waited: a person may take minutes to carry the answer over.
    expect(view.statusText).to.match(/^Waiting for the Pi to read the answer… · \d+:\d\d$/);
    expect(view.alert).to.equal('');
    expect(viewer.status).to.equal(view.status);
    // The element redraws the time by itself, with nothing else changing.
    const first = view.statusText;
    const counted = await new Promise<string>((resolve, reject) => {
      const deadline = performance.now() + 5000;
      const check = (): void => {
        const text = viewer.shadowRoot!.querySelector('[part=status]')?.textContent?.trim() ?? '';
        if (text !== first) resolve(text);
        else if (performance.now() > deadline) reject(new Error(`the status line still reads “${first}” after 5 s`));
        else setTimeout(check, 100);
      };
      check();
    });
    expect(counted).to.match(/^Waiting for the Pi to read the answer… · 0:0[1-9]$/);
  });

  it('shows the damaged message and fires error E_CHECKSUM for a damaged offer attribute, and no answer', async () => {
    const damaged = OFFER.slice(0, 20) + (OFFER[20] === 'A' ? 'B' : 'A') + OFFER.slice(21);
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    let answers = 0;
    viewer.addEventListener('answer', () => answers++);
    const failed = nextEvent(viewer, 'error');
    viewer.setAttribute('offer', damaged);
    expect(errorCode(await failed)).to.equal('E_CHECKSUM');
    const view = await viewerView(viewer);
    expect(view.status).to.equal('failed');
    expect(view.alertCode).to.equal('E_CHECKSUM');
    expect(view.alert).to.match(/This code is damaged/);
    expect(answers).to.equal(0);
  });

  it('refuses an answer given as the offer with E_EXPECTED_OFFER, in an error event that does not bubble', async () => {
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    let atWindow = false;
    const heard = (): void => void (atWindow = true);
    window.addEventListener('error', heard);
    try {
      const failed = nextEvent(viewer, 'error');
      viewer.offer = answerTo(1);
      expect(errorCode(await failed)).to.equal('E_EXPECTED_OFFER');
      expect(atWindow).to.equal(false);
      expect((await viewerView(viewer)).alert).to.match(/This is an answer, but an offer was expected/);
    } finally {
      window.removeEventListener('error', heard);
    }
  });

  it('hides and shows its stats from the Stats button, reflected as stats-hidden', async () => {
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    const shown = await viewerView(viewer);
    expect([shown.status, shown.pressed, viewer.hasAttribute('stats-hidden')]).to.deep.equal(['idle', 'true', false]);
    const button = [...viewer.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Stats')!;
    button.click();
    const hidden = await viewerView(viewer);
    expect([hidden.pressed, hidden.stats, viewer.statsHidden, viewer.hasAttribute('stats-hidden')]).to.deep.equal(['false', false, true, true]);
    button.click();
    await viewer.updateComplete;
    expect(viewer.hasAttribute('stats-hidden')).to.equal(false);
  });

  it('closes the connection when the offer is cleared', async () => {
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    const answered = nextEvent(viewer, 'answer');
    viewer.offer = OFFER;
    await answered;
    viewer.offer = '';
    expect((await viewerView(viewer)).status).to.equal('closed');
  });

  it('ends in E_ICE_FAILED, "Could not reach the Pi", for an offer from an address nobody answers on', async function () {
    // The fixture's only candidate is 192.0.2.2 (TEST-NET-1): never reachable. Chromium gives up after ~15 s.
    this.timeout(60_000);
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    const failed = nextEvent(viewer, 'error', 40_000);
    viewer.offer = OFFER;
    expect(errorCode(await failed)).to.equal('E_ICE_FAILED');
    const view = await viewerView(viewer);
    expect(view.status).to.equal('failed');
    expect(view.statusText).to.equal('Not connected');
    expect(view.alert).to.match(/Could not reach the Pi\. Is this device on the same network as the Pi\?.*firewall/);
  });

  it('createOffer() fires an offer event; an answer to another offer is refused and the offer stands', async () => {
    const viewer = mount<PigeonViewer>('<pigeon-viewer></pigeon-viewer>');
    await viewer.updateComplete;
    const offered = nextEvent<CustomEvent<OfferDetail>>(viewer, 'offer');
    await viewer.createOffer();
    const { text, offerId } = (await offered).detail;
    if (offerId === undefined) throw new Error('the offer event carries no offer id');
    const decoded = decodeBlob(text, { expect: 'offer' });
    expect(decoded.offerId).to.equal(offerId);
    expect(decoded.mode).to.equal('compact');
    // The Pi refuses an offer without its codec on its own screen only, so the wait names them.
    expect((await viewerView(viewer)).statusText).to.match(
      /^Waiting for the Pi’s answer… · \d+:\d\d \(this page offered (VP8 and H\.264|H\.264 and VP8); a Pi that sends another codec refuses it\)$/,
    );
    const failed = nextEvent(viewer, 'error');
    viewer.answer = answerTo((offerId + 1) & 0xffff);
    expect(errorCode(await failed)).to.equal('E_OTHER_OFFER');
    const view = await viewerView(viewer);
    expect(view.status).to.equal('waiting');
    expect(view.alert).to.match(/This answer is for another offer/);
  });
});

describe('<qr-view>', () => {
  it('draws the data as a square canvas, labelled for screen readers, that jsqr reads back byte for byte', async () => {
    const blob = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 9 });
    const view = mount<QrView>('<qr-view style="width: 300px"></qr-view>');
    view.data = blob.bytes;
    await view.updateComplete;
    const canvas = view.shadowRoot!.querySelector('canvas')!;
    expect(canvas.width).to.be.at.least(300);
    expect(canvas.width).to.equal(canvas.height);
    expect(canvas.getAttribute('aria-label')).to.equal('QR code');
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const read = (await loadJsQR())(pixels.data, canvas.width, canvas.height);
    expect(read, 'jsqr found no code').to.not.equal(null);
    expect(read!.binaryData).to.deep.equal([...blob.bytes]);
    view.label = 'QR code of the answer';
    await view.updateComplete;
    expect(canvas.getAttribute('aria-label')).to.equal('QR code of the answer');
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
