// The in-page WebRTC peer that every browser rig shares: one RTCPeerConnection in one tab
// (page/peer-runtime.ts, loaded into the tab as a script), driven through puppeteer-core
// (DevTools protocol for Chromium, WebDriver BiDi for Firefox).
import { rm } from 'node:fs/promises';
import type { Browser, JSHandle, Page } from 'puppeteer-core';
import type { BrowserPeerOptions, LatencySamples, PeerRuntime, PeerRuntimeGlobal, VideoStats } from './page/peer-api.ts';
import { pageScript } from './page-script.ts';
import type { TestPeer } from './test-peer.ts';

export type { BrowserPeerOptions, VideoStats } from './page/peer-api.ts';

export interface BrowserPeer extends TestPeer {
  videoStats(windowMs?: number): Promise<VideoStats>;
  /**
   * Reads a QR code of the sender's clock (ms since the epoch) from every presented video frame
   * and keeps now − stamp: glass-to-glass latency on one machine (the agent's --source latency).
   */
  startLatencyProbe(): Promise<void>;
  latencySamples(): Promise<LatencySamples>;
  /** An ICE-restart offer (new credentials), not applied: to try re-signaling over the channel. */
  createOfferForRestart(): Promise<string>;
  /** The video codecs this browser can receive (`RTCRtpReceiver.getCapabilities`), e.g. `VP8`. */
  videoCodecs(): Promise<string[]>;
}

/** A peer in `page`: the runtime's script added to it, one RTCPeerConnection made; page-side throws reject with the page's message. */
export async function openPeer(page: Page, options: BrowserPeerOptions = {}): Promise<BrowserPeer> {
  await page.addScriptTag({ content: await pageScript('peer-runtime') });
  const peer: JSHandle<PeerRuntime> = await page.evaluateHandle((o) => (globalThis as unknown as PeerRuntimeGlobal).pigeonTestPeer.create(o), options);
  return {
    createOffer: () => peer.evaluate((p) => p.createOffer()),
    acceptOffer: (sdp) => peer.evaluate((p, s) => p.acceptOffer(s), sdp),
    acceptAnswer: (sdp) => peer.evaluate((p, s) => p.acceptAnswer(s), sdp),
    waitForDataChannelOpen: (timeoutMs = 10_000) => peer.evaluate((p, ms) => p.waitForOpen(ms), timeoutMs),
    send: (message) => peer.evaluate((p, m) => p.send(m), message),
    nextMessage: (timeoutMs = 10_000) => peer.evaluate((p, ms) => p.nextMessage(ms), timeoutMs),
    videoStats: (windowMs = 3000) => peer.evaluate((p, ms) => p.videoStats(ms), windowMs),
    startLatencyProbe: () => peer.evaluate((p) => p.startLatencyProbe()),
    latencySamples: () => peer.evaluate((p) => p.latencySamples()),
    createOfferForRestart: () => peer.evaluate((p) => p.createOfferForRestart()),
    videoCodecs: () => peer.evaluate((p) => p.videoCodecs()),
    close: async () => {
      if (page.isClosed()) return;
      await peer.evaluate((p) => p.close()).catch(() => undefined);
      await page.close();
    },
  };
}

/** A launched browser as the tests use it: peers and plain tabs, and a close that also removes its fresh profile. */
export interface BrowserHandle {
  newPeer(options?: BrowserPeerOptions): Promise<BrowserPeer>;
  /** A plain tab, for tests that drive a page of their own. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
  /** SIGKILL, as a killed browser or a power cut: no goodbye on any connection. Resolves once it is gone. */
  kill(): Promise<void>;
}

export function browserHandle(browser: Browser, profileDir: string): BrowserHandle {
  return {
    newPeer: async (options) => openPeer(await browser.newPage(), options),
    newPage: () => browser.newPage(),
    close: async () => {
      try {
        await browser.close();
      } finally {
        await rm(profileDir, { recursive: true, force: true });
      }
    },
    kill: async () => {
      const child = browser.process();
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}
