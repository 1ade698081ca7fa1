// Real Firefox WebRTC peers for tests: Debian's firefox-esr, headless, driven over WebDriver BiDi
// by puppeteer-core. Each BrowserPeer is one RTCPeerConnection in its own tab, with the same
// in-page runtime the Chromium rig uses (browser-peer.ts).
//
// A fresh profile each launch and Firefox's own WebRTC defaults: host candidates are mDNS names
// (`<uuid>.local`) and there is no H.264 (OpenH264 is a download this machine never makes), as
// on an offline laptop — which is what Pigeon has to cope with.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type Browser } from 'puppeteer-core';
import { browserHandle, type BrowserHandle } from './browser-peer.ts';

export type FirefoxHandle = BrowserHandle;

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export async function launchFirefox(): Promise<FirefoxHandle> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'pigeon-firefox-'));
  let browser: Browser;
  try {
    browser = await launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      userDataDir,
      // A cold start on a busy machine is slow; puppeteer's default 30 s is not always enough.
      timeout: 120_000,
      protocolTimeout: 120_000,
      // Muted video plays without a gesture anyway; this keeps a paused tab from hiding frames.
      extraPrefsFirefox: { 'media.autoplay.default': 0 },
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  return browserHandle(browser, userDataDir);
}
