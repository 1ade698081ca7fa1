import { viewerError } from 'pigeon-viewer';

declare global {
  interface Window {
    /** Set by the Rust side (src-tauri/src/lib.rs) on Linux, where it starts pigeon-bridge. */
    __PIGEON_BRIDGE__?: string;
  }
}

const viewer = document.querySelector('pigeon-viewer')!;
const offer = document.querySelector<HTMLTextAreaElement>('#offer')!;
const answer = document.querySelector<HTMLElement>('#answer')!;
const error = document.querySelector<HTMLElement>('#error')!;

// The bridge is only used where the webview has no RTCPeerConnection (WebKitGTK), so handing its
// URL over is always safe; ?bridge= and ?transport=bridge stand in for Tauri in a plain browser.
const query = new URLSearchParams(location.search);
viewer.bridge = window.__PIGEON_BRIDGE__ ?? query.get('bridge') ?? '';
viewer.transport = query.get('transport') ?? 'auto';

document.querySelector('#watch')!.addEventListener('click', () => (viewer.offer = offer.value.trim()));
document.querySelector('qr-scan')!.addEventListener('scan', (event) => (viewer.offer = event.detail.blob));

viewer.addEventListener('answer', (event) => {
  answer.querySelector('qr-view')!.data = event.detail.bytes;
  answer.querySelector('textarea')!.value = event.detail.text;
  answer.hidden = false;
  error.textContent = '';
});
viewer.addEventListener('connected', () => (answer.hidden = true));
viewer.addEventListener('error', (event) => (error.textContent = viewerError(event)?.message ?? ''));
