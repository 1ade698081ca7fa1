// Real Chromium WebRTC peers for tests: each BrowserPeer is one RTCPeerConnection
// living in its own headless tab, driven over the DevTools protocol.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type Browser } from 'puppeteer-core';
import { browserHandle, type BrowserHandle } from './browser-peer.ts';


export type ChromiumHandle = BrowserHandle;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * `args` are added to the usual flags, e.g. a fake camera for scanning tests; `wrap` is a command
 * Chromium runs under, e.g. `ip netns exec NS` (test/harness/netns.ts: DevTools go over a pipe,
 * which crosses into the namespace).
 */
export async function launchChromium(options: { args?: string[]; wrap?: readonly string[] } = {}): Promise<ChromiumHandle> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'pigeon-chromium-'));
  const [executablePath, ...wrapped] = [...(options.wrap ?? []), process.env.CHROME_PATH ?? '/usr/bin/chromium'];
  let browser: Browser;
  try {
    browser = await launch({
      executablePath,
      // Puppeteer's defaults would add many flags; we want exactly ours.
      ignoreDefaultArgs: true,
      args: [...wrapped, ...CHROMIUM_ARGS, ...(options.args ?? []), `--user-data-dir=${userDataDir}`],
      pipe: true,
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  return browserHandle(browser, userDataDir);
}

