// Loaded into the built page (dist/index.html) before its own scripts, by page-driver.ts: reads
// <pigeon-app> as a person would see it, and can keep the page's RTCPeerConnections for a test to
// look at. A real module, bundled by page-script.ts, rather than functions serialized into the page.
import type { AppProbe, AppProbeGlobal, Seen } from './app-api.ts';

const text = (el: Element | null | undefined): string => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

function app(): HTMLElementTagNameMap['pigeon-app'] {
  const found = document.querySelector('pigeon-app');
  if (!found) throw new Error('no <pigeon-app> in the page');
  return found;
}

async function look(): Promise<Seen> {
  const shown = app();
  await shown.updateComplete;
  const root = shown.shadowRoot!;
  const viewer = root.querySelector('pigeon-viewer');
  await viewer?.updateComplete;
  const canvas = root.querySelector('qr-view')?.shadowRoot?.querySelector('canvas');
  const scan = root.querySelector('qr-scan')?.shadowRoot;
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
    scan: text(scan?.querySelector('.state')) + ' | ' + text(scan?.querySelector('.message')),
  };
}

// Checked every few ms here in the page, so the time is not rounded to a polling step in Node.
async function firstFrame(timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const viewer = document.querySelector('pigeon-app')?.shadowRoot?.querySelector('pigeon-viewer');
    const video = viewer?.shadowRoot?.querySelector('video');
    if (video && video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0) return Date.now();
    if (Date.now() > until) throw new Error(`no video frame within ${timeoutMs} ms (viewer status: ${viewer?.status ?? 'no viewer'})`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const kept: RTCPeerConnection[] = [];

function keepPeerConnections(): void {
  const Native = globalThis.RTCPeerConnection;
  globalThis.RTCPeerConnection = class extends Native {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      kept.push(this);
    }
  };
}

const probe: AppProbe = { look, firstFrame, keepPeerConnections, peerConnections: () => [...kept] };
(globalThis as unknown as AppProbeGlobal).pigeonAppProbe = probe;
