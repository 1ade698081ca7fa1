import { expect } from 'chai';
// The built bundle registers the elements, as in an embedding app; the types are the sources'.
import '../../dist/lib/pigeon.js';
import type { AnswerDetail, PigeonViewer, ViewerErrorDetail } from '../../src/index.ts';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';

/*
 * Which WebRTC <pigeon-viewer> uses, told by what it does, in Chromium: its own RTCPeerConnection
 * answers at once; the bridge is asked first, and a bridge URL nobody listens on (the discard
 * port) fails with E_BRIDGE_UNREACHABLE. RTCPeerConnection deleted from the page stands for a
 * webview without WebRTC (WebKitGTK).
 */
const SDP = await (await fetch(new URL('../fixtures/werift-offer.sdp', import.meta.url))).text();
const OFFER = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 9 }).text;
const NOBODY = 'ws://127.0.0.1:9/no-bridge-here';

function nextEvent<T extends Event>(target: EventTarget, type: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
    target.addEventListener(type, (event) => (clearTimeout(timer), resolve(event as T)), { once: true });
  });
}

/** The viewer's first answer or error for OFFER, given after the attributes in `html`. */
async function outcome(attributes: string): Promise<{ answer?: AnswerDetail; error?: string }> {
  document.body.innerHTML = `<pigeon-viewer ${attributes}></pigeon-viewer>`;
  const viewer = document.body.firstElementChild as PigeonViewer;
  const answered = nextEvent<CustomEvent<AnswerDetail>>(viewer, 'answer').then((e) => ({ answer: e.detail }));
  const failed = nextEvent<CustomEvent<ViewerErrorDetail>>(viewer, 'error').then((e) => ({ error: e.detail.code }));
  viewer.offer = OFFER;
  return Promise.race([answered, failed]);
}

const native = globalThis.RTCPeerConnection;

afterEach(() => {
  document.body.innerHTML = '';
  globalThis.RTCPeerConnection = native;
});

describe('<pigeon-viewer> picks its WebRTC', () => {
  it('native where the engine has RTCPeerConnection, even with a bridge URL given', async () => {
    const { answer, error } = await outcome(`bridge="${NOBODY}"`);
    expect(error).to.equal(undefined);
    expect(decodeBlob(answer!.text, { expect: 'answer' }).offerId).to.equal(9);
  });

  it('the bridge when forced with transport="bridge", where the engine has WebRTC', async () => {
    expect(await outcome(`transport="bridge" bridge="${NOBODY}"`)).to.deep.equal({ error: 'E_BRIDGE_UNREACHABLE' });
  });

  it('E_NO_BRIDGE when forced to the bridge without a bridge URL', async () => {
    expect(await outcome('transport="bridge"')).to.deep.equal({ error: 'E_NO_BRIDGE' });
  });

  describe('in an engine without RTCPeerConnection', () => {
    beforeEach(() => {
      Reflect.deleteProperty(globalThis, 'RTCPeerConnection');
      expect(typeof globalThis.RTCPeerConnection).to.equal('undefined');
    });

    it('the bridge when a bridge URL is given', async () => {
      expect(await outcome(`bridge="${NOBODY}"`)).to.deep.equal({ error: 'E_BRIDGE_UNREACHABLE' });
    });

    it('E_NO_WEBRTC without a bridge URL, and with transport="native" even with one', async () => {
      expect(await outcome('')).to.deep.equal({ error: 'E_NO_WEBRTC' });
      expect(await outcome(`transport="native" bridge="${NOBODY}"`)).to.deep.equal({ error: 'E_NO_WEBRTC' });
    });
  });
});
