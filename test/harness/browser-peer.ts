// The in-page WebRTC peer that every browser rig shares: one RTCPeerConnection in one tab,
// driven through puppeteer-core (DevTools protocol for Chromium, WebDriver BiDi for Firefox).
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'puppeteer-core';
import type { TestPeer } from './test-peer.ts';

/** What the page's <video> has shown of the far side's track. Times are epoch ms. */
export interface VideoStats {
  /** Video payload bytes received so far (inbound-rtp). */
  bytesReceived: number;
  /** Frames the decoder delivered to the track. */
  frames: number;
  /** Frames decoded, from getStats (inbound-rtp). */
  framesDecoded: number;
  firstFrameAt: number | null;
  /** Frames presented in the last `windowMs`, per second. */
  fps: number;
  /** The longest time between two frames in the last `windowMs` (0 with fewer than two). */
  longestGapMs: number;
  width: number;
  height: number;
}

export interface BrowserPeer extends TestPeer {
  videoStats(windowMs?: number): Promise<VideoStats>;
  /**
   * Reads a QR code of the sender's clock (ms since the epoch) from every presented video frame
   * and keeps now − stamp: glass-to-glass latency on one machine (the agent's --source latency).
   */
  startLatencyProbe(): Promise<void>;
  latencySamples(): Promise<{ latencyMs: number[]; readMs: number[] }>;
  /** An ICE-restart offer (new credentials), not applied: to try re-signaling over the channel. */
  createOfferForRestart(): Promise<string>;
  /** The video codecs this browser can receive (`RTCRtpReceiver.getCapabilities`), e.g. `VP8`. */
  videoCodecs(): Promise<string[]>;
}

export interface BrowserPeerOptions {
  /** `max-bundle` (the default, as the page uses) or `balanced`, the browsers' own default. */
  bundlePolicy?: RTCBundlePolicy;
  /** How long createOffer/acceptOffer wait for ICE gathering before they throw. */
  gatherTimeoutMs?: number;
}

/** The in-page API installed by `installPeerRuntime`. */
interface PeerRuntime {
  createOffer(): Promise<string>;
  acceptOffer(sdp: string): Promise<string>;
  acceptAnswer(sdp: string): Promise<void>;
  waitForOpen(timeoutMs: number): Promise<void>;
  send(text: string): void;
  nextMessage(timeoutMs: number): Promise<string>;
  close(): void;
  videoStats(windowMs: number): Promise<VideoStats>;
  startLatencyProbe(): void;
  latencySamples(): { latencyMs: number[]; readMs: number[] };
  createOfferForRestart(): Promise<string>;
  videoCodecs(): string[];
}

export async function openPeer(page: Page, options: BrowserPeerOptions = {}): Promise<BrowserPeer> {
  // tsx/esbuild wraps named functions in `__name(...)`, which does not exist in
  // the page. Evaluating a *string* that defines it first keeps the serialized
  // runtime working.
  await page.evaluate(
    `globalThis.__name = (f) => f; (${installPeerRuntime.toString()})(${JSON.stringify(options)});`,
  );
  const text = async (method: keyof PeerRuntime, ...args: unknown[]): Promise<string> => {
    const result = await callRuntime(page, method, args);
    if (typeof result !== 'string') throw new Error(`${method} returned ${typeof result}`);
    return result;
  };
  const run = async (method: keyof PeerRuntime, ...args: unknown[]): Promise<void> => {
    await callRuntime(page, method, args);
  };
  return {
    createOffer: () => text('createOffer'),
    acceptOffer: (sdp) => text('acceptOffer', sdp),
    acceptAnswer: (sdp) => run('acceptAnswer', sdp),
    waitForDataChannelOpen: (timeoutMs = 10_000) => run('waitForOpen', timeoutMs),
    send: (message) => run('send', message),
    nextMessage: (timeoutMs = 10_000) => text('nextMessage', timeoutMs),
    videoStats: async (windowMs = 3000) => (await callRuntime(page, 'videoStats', [windowMs])) as VideoStats,
    startLatencyProbe: async () => {
      await page.addScriptTag({ path: createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js') });
      await run('startLatencyProbe');
    },
    latencySamples: async () => (await callRuntime(page, 'latencySamples', [])) as { latencyMs: number[]; readMs: number[] },
    createOfferForRestart: () => text('createOfferForRestart'),
    videoCodecs: async () => (await callRuntime(page, 'videoCodecs', [])) as string[],
    close: async () => {
      if (page.isClosed()) return;
      await run('close').catch(() => undefined);
      await page.close();
    },
  };
}

/** Calls a runtime method in the page; page-side throws reject with the page's message. */
function callRuntime(page: Page, method: keyof PeerRuntime, args: unknown[]): Promise<unknown> {
  return page.evaluate(
    (name: string, params: unknown[]) => {
      const holder = globalThis as unknown as {
        pigeonPeer?: Record<string, (...xs: unknown[]) => unknown>;
      };
      const fn = holder.pigeonPeer?.[name];
      if (typeof fn !== 'function') throw new Error(`peer runtime has no ${name}()`);
      return fn(...params);
    },
    method,
    args,
  );
}

/** Runs inside the page (serialized with toString), so it must be self-contained. */
function installPeerRuntime(options: BrowserPeerOptions): void {
  let pc: RTCPeerConnection | undefined;
  let channel: RTCDataChannel | undefined;
  const inbox: string[] = [];
  const inboxWaiters: Array<(text: string) => void> = [];
  let markOpen: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    markOpen = resolve;
  });

  let video: HTMLVideoElement | undefined;
  let frames = 0;
  let firstFrameAt: number | null = null;
  const frameTimes: number[] = [];
  const epoch = (): number => performance.timeOrigin + performance.now();
  let probing = false;
  const latencyMs: number[] = [];
  const readMs: number[] = [];
  type Decoder = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
  const probe = (): void => {
    const target = video;
    if (!probing || !target) return;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const read = (_now: number, meta: { expectedDisplayTime: number; width: number; height: number }): void => {
      // When the compositor expects this frame to be on screen: the "glass" end.
      const presented = performance.timeOrigin + meta.expectedDisplayTime;
      const started = performance.now();
      canvas.width = meta.width;
      canvas.height = meta.height;
      context?.drawImage(target, 0, 0);
      const pixels = context?.getImageData(0, 0, meta.width, meta.height);
      const decode = (globalThis as unknown as { jsQR?: Decoder }).jsQR;
      const code = pixels && decode ? decode(pixels.data, meta.width, meta.height) : null;
      readMs.push(performance.now() - started);
      if (code && /^\d{13}$/.test(code.data)) latencyMs.push(presented - Number(code.data));
      target.requestVideoFrameCallback(read);
    };
    target.requestVideoFrameCallback(read);
  };
  const show = (track: MediaStreamTrack): void => {
    video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    document.body.append(video);
    video.srcObject = new MediaStream([track]);
    void video.play();
    const counted = (): void => {
      const at = epoch();
      frames++;
      firstFrameAt ??= at;
      frameTimes.push(at);
      if (frameTimes.length > 1000) frameTimes.shift();
    };
    // Count frames as the decoder hands them to the track, not as a tab paints them: a tab in
    // the background decodes but does not present, and each peer here is its own tab.
    const Processor = (globalThis as unknown as {
      MediaStreamTrackProcessor?: new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<{ close(): void }> };
    }).MediaStreamTrackProcessor;
    if (Processor) {
      const reader = new Processor({ track: track.clone() }).readable.getReader();
      const pump = async (): Promise<void> => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          value.close();
          counted();
        }
      };
      void pump();
    } else {
      // Firefox has no MediaStreamTrackProcessor on the main thread: count presented frames.
      const target = video;
      const each = (): void => {
        counted();
        target.requestVideoFrameCallback(each);
      };
      target.requestVideoFrameCallback(each);
    }
    probe();
  };

  const connection = (): RTCPeerConnection => {
    if (!pc) {
      pc = new RTCPeerConnection({ bundlePolicy: options.bundlePolicy ?? 'max-bundle' });
      pc.ontrack = (event) => show(event.track);
    }
    return pc;
  };

  const adopt = (dc: RTCDataChannel): void => {
    channel = dc;
    dc.onopen = () => markOpen();
    if (dc.readyState === 'open') markOpen();
    dc.onmessage = (event: MessageEvent<unknown>) => {
      const text = String(event.data);
      const waiter = inboxWaiters.shift();
      if (waiter) waiter(text);
      else inbox.push(text);
    };
  };

  // Non-trickle signalling: the SDP must carry every candidate. Bounded, because a browser that
  // rejects the BUNDLE-tag section (Firefox with an offer it cannot play) never gathers at all.
  const gathered = async (peer: RTCPeerConnection): Promise<string> => {
    const timeoutMs = options.gatherTimeoutMs ?? 20_000;
    if (peer.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const rejected = (peer.localDescription?.sdp.match(/^m=\S+ 0 .*$/gm) ?? []).join(' | ');
          reject(
            new Error(
              `ICE gathering not complete after ${timeoutMs} ms (iceGatheringState=${peer.iceGatheringState}` +
                `${rejected ? `; rejected sections: ${rejected}` : ''})`,
            ),
          );
        }, timeoutMs);
        peer.addEventListener('icegatheringstatechange', () => {
          if (peer.iceGatheringState !== 'complete') return;
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const sdp = peer.localDescription?.sdp;
    if (!sdp) throw new Error('no local description after gathering');
    return sdp;
  };

  const states = (): string =>
    pc
      ? `connectionState=${pc.connectionState} iceConnectionState=${pc.iceConnectionState}`
      : 'no RTCPeerConnection yet';

  const api: PeerRuntime = {
    async createOffer() {
      const peer = connection();
      peer.addTransceiver('video', { direction: 'recvonly' });
      adopt(peer.createDataChannel('pigeon'));
      await peer.setLocalDescription(await peer.createOffer());
      return gathered(peer);
    },
    async acceptOffer(sdp) {
      const peer = connection();
      peer.ondatachannel = (event) => adopt(event.channel);
      await peer.setRemoteDescription({ type: 'offer', sdp });
      await peer.setLocalDescription(await peer.createAnswer());
      return gathered(peer);
    },
    async acceptAnswer(sdp) {
      await connection().setRemoteDescription({ type: 'answer', sdp });
    },
    waitForOpen(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`data channel not open after ${timeoutMs} ms (${states()})`)),
          timeoutMs,
        );
        void opened.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    send(text) {
      if (channel?.readyState !== 'open') throw new Error(`data channel not open (${states()})`);
      channel.send(text);
    },
    nextMessage(timeoutMs) {
      const queued = inbox.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise<string>((resolve, reject) => {
        const waiter = (text: string): void => {
          clearTimeout(timer);
          resolve(text);
        };
        const timer = setTimeout(() => {
          inboxWaiters.splice(inboxWaiters.indexOf(waiter), 1);
          reject(new Error(`no data channel message within ${timeoutMs} ms (${states()})`));
        }, timeoutMs);
        inboxWaiters.push(waiter);
      });
    },
    close() {
      channel?.close();
      pc?.close();
    },
    startLatencyProbe() {
      probing = true;
      probe();
    },
    latencySamples() {
      return { latencyMs: [...latencyMs], readMs: [...readMs] };
    },
    async createOfferForRestart() {
      const offer = await connection().createOffer({ iceRestart: true });
      return offer.sdp ?? '';
    },
    videoCodecs() {
      return (RTCRtpReceiver.getCapabilities('video')?.codecs ?? []).map((c) => c.mimeType.replace(/^video\//i, ''));
    },
    async videoStats(windowMs) {
      let framesDecoded = 0;
      let bytesReceived = 0;
      (await pc?.getStats())?.forEach((stat: { type: string; kind?: string; framesDecoded?: number; bytesReceived?: number }) => {
        if (stat.type !== 'inbound-rtp' || stat.kind !== 'video') return;
        framesDecoded = stat.framesDecoded ?? 0;
        bytesReceived = stat.bytesReceived ?? 0;
      });
      const since = epoch() - windowMs;
      const recent = frameTimes.filter((t) => t > since);
      const longestGapMs = recent.reduce((longest, t, i) => (i === 0 ? 0 : Math.max(longest, t - recent[i - 1]!)), 0);
      return {
        longestGapMs,
        frames,
        framesDecoded,
        bytesReceived,
        firstFrameAt,
        fps: (recent.length * 1000) / windowMs,
        width: video?.videoWidth ?? 0,
        height: video?.videoHeight ?? 0,
      };
    },
  };
  (globalThis as unknown as { pigeonPeer: PeerRuntime }).pigeonPeer = api;
}

/** A launched browser as the tests use it: peers and plain tabs, and a close that also removes its fresh profile. */
export interface BrowserHandle {
  newPeer(options?: BrowserPeerOptions): Promise<BrowserPeer>;
  /** A plain tab, for tests that drive a page of their own. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
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
  };
}
