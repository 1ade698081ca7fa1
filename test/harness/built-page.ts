import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChromiumHandle } from './chromium.ts';
import { eventually } from './eventually.ts';
import { open, PAGE } from './page-driver.ts';

/*
 * The built page (dist/index.html) with ?bridge=, read the same way in Chromium and in WebKitGTK:
 * one JavaScript expression (PROBE) looks at what a person sees — the answer text the page shows,
 * the viewer's status line, the stats overlay, the canvas the video is drawn on — and at the
 * viewer's public properties (stats, telemetry, video).
 */

/** What PROBE reports. */
export interface BuiltSnapshot {
  webrtc: boolean;
  /** The answer as text, as the page shows it to copy. */
  answer: string;
  /** The QR code of the answer is on the page. */
  answerQr: boolean;
  status: string;
  statusText: string;
  alert: string;
  alertCode: string;
  /** The stats overlay as shown. */
  statsText: string;
  hello: string;
  /** The picture is a <canvas> (the bridge's frames, WebCodecs) or a <video> (native WebRTC, or the bridge's frames through MSE). */
  canvas: boolean;
  video: boolean;
  /** The bridge's frames play in a <video> through Media Source Extensions (a `video.frames`). */
  mse: boolean;
  /** MSE: how far behind the newest buffered frame the <video> plays (ms), and its time (s); null without one. */
  behindMs: number | null;
  currentTime: number | null;
  /** MSE: the <video>'s state in words (paused, readyState, seeking, rate, buffered ranges), for a failure's message. */
  mseState: string;
  width: number;
  height: number;
  framesDecoded: number;
  fps: number;
  kbps: number;
  telemetryFps: number | null;
  telemetryViewers: number | null;
  /** Frame feeds the viewer has had: a new connection (a reconnect) brings a new one. */
  feeds: number;
  /** The status line's words as they changed, oldest first (the last 20), seen by a MutationObserver. */
  statuses: string[];
  /** The viewer's buttons, by their words. */
  buttons: string[];
  /** The picture's (video canvas's, or MSE video's) `data-mark`, set by a test to tell the same element from a new one. */
  canvasMark: string;
  /**
   * Pictures drawn on the video canvas since COUNT_DRAWS ran, the longest pause between two (ms),
   * and each pause that ended with the first picture of a newly configured decoder (a new connection's).
   */
  draws: { count: number; longestGapMs: number; newDecoderGapsMs: number[] } | null;
  /** Keyframes seen on the viewer's frame feed since the probe first saw it. */
  keyframes: number;
  /** A hash of the picture's pixels (the canvas's, or the MSE video's drawn onto one): it changes as frames are shown. */
  pixels: number;
}

/** Reads the page; a JSON string, or {"pending": why} until the app is there. Runs in both engines. */
export const PROBE = `(() => {
  const app = document.querySelector('pigeon-app');
  const root = app && app.shadowRoot;
  if (!root) return JSON.stringify({ pending: 'no app yet' });
  const viewer = root.querySelector('pigeon-viewer');
  const vr = viewer && viewer.shadowRoot;
  const text = (el) => (el && el.textContent ? el.textContent.replace(/\\s+/g, ' ').trim() : '');
  const picture = vr ? vr.querySelector('.frames') : null;
  const frames = picture && picture.localName === 'canvas' ? picture : null;
  const mse = picture && picture.localName === 'video' ? picture : null;
  let pixels = 0;
  let source = frames;
  if (mse && mse.videoWidth > 0) {
    source = window.__pigeonGrab || (window.__pigeonGrab = document.createElement('canvas'));
    source.width = mse.videoWidth;
    source.height = mse.videoHeight;
    source.getContext('2d').drawImage(mse, 0, 0);
  }
  if (source && source.width > 0) {
    const data = source.getContext('2d').getImageData(0, 0, source.width, source.height).data;
    for (let i = 0; i < data.length; i += 397) pixels = (pixels * 31 + data[i]) >>> 0;
  }
  const buffered = mse && mse.buffered.length > 0 ? mse.buffered.end(mse.buffered.length - 1) : null;
  const feed = viewer ? viewer.video : undefined;
  if (feed && feed.kind === 'frames' && window.__pigeonFeed !== feed) {
    window.__pigeonFeed = feed;
    window.__pigeonFeeds = (window.__pigeonFeeds || 0) + 1;
    feed.frames.subscribe((frame) => { if (frame.key) window.__pigeonKeyframes = (window.__pigeonKeyframes || 0) + 1; });
  }
  const stats = viewer ? viewer.stats : undefined;
  const telemetry = viewer ? viewer.telemetry : undefined;
  const alert = (vr && vr.querySelector('[role=alert]')) || root.querySelector('[role=alert]');
  const status = vr ? vr.querySelector('[part=status]') : null;
  if (vr && !window.__pigeonStatuses) {
    const seen = (window.__pigeonStatuses = []);
    const note = () => {
      const now = text(vr.querySelector('[part=status]'));
      if (now && seen[seen.length - 1] !== now) seen.push(now);
      if (seen.length > 20) seen.shift();
    };
    new MutationObserver(note).observe(vr, { subtree: true, childList: true, characterData: true });
    note();
  }
  return JSON.stringify({
    webrtc: typeof RTCPeerConnection === 'function',
    answer: (root.querySelector('#mine-text') || { value: '' }).value,
    answerQr: !!root.querySelector('qr-view'),
    status: status ? status.getAttribute('data-status') : '',
    statusText: text(status),
    alert: text(alert),
    alertCode: alert ? alert.getAttribute('data-code') || '' : '',
    statsText: text(vr && vr.querySelector('[part=stats]')),
    hello: text(vr && vr.querySelector('.hello')),
    canvas: !!frames,
    video: !!(vr && vr.querySelector('video')),
    mse: !!mse,
    behindMs: mse && buffered !== null ? Math.round((buffered - mse.currentTime) * 1000) : null,
    currentTime: mse ? mse.currentTime : null,
    mseState: mse ? [mse.paused ? 'paused' : 'playing', 'readyState ' + mse.readyState, mse.seeking ? 'seeking' : '', 'rate ' + mse.playbackRate, 'buffered ' + Array.from({ length: mse.buffered.length }, (_, i) => mse.buffered.start(i).toFixed(2) + '-' + mse.buffered.end(i).toFixed(2)).join(' '), mse.error ? 'error ' + mse.error.code + ' ' + mse.error.message : ''].filter(Boolean).join(', ') : '',
    width: (stats && stats.width) || 0,
    height: (stats && stats.height) || 0,
    framesDecoded: (stats && stats.framesDecoded) || 0,
    fps: (stats && stats.fps) || 0,
    kbps: (stats && stats.kbps) || 0,
    telemetryFps: telemetry ? telemetry.fps : null,
    telemetryViewers: telemetry ? telemetry.viewers : null,
    feeds: window.__pigeonFeeds || 0,
    statuses: window.__pigeonStatuses || [],
    buttons: vr ? [...vr.querySelectorAll('button')].map((b) => text(b)) : [],
    canvasMark: picture ? picture.getAttribute('data-mark') || '' : '',
    draws: window.__pigeonDraws ? { count: window.__pigeonDraws.count, longestGapMs: Math.round(window.__pigeonDraws.longest), newDecoderGapsMs: window.__pigeonDraws.newDecoder.map(Math.round) } : null,
    keyframes: window.__pigeonKeyframes || 0,
    pixels,
  });
})()`;

/**
 * Counts the pictures drawn on the viewer's video canvas from now on, and the longest pause
 * between two (PROBE's `draws`), whichever decoder draws them: what a person sees move.
 */
export const COUNT_DRAWS = `(() => {
  const draws = (window.__pigeonDraws = { count: 0, last: 0, longest: 0, configured: false, newDecoder: [] });
  const drawImage = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {
    if (this.canvas.classList.contains('frames')) {
      const now = performance.now();
      if (draws.count > 0) draws.longest = Math.max(draws.longest, now - draws.last);
      if (draws.count > 0 && draws.configured) draws.newDecoder.push(now - draws.last);
      draws.configured = false;
      draws.last = now;
      draws.count++;
    }
    return drawImage.apply(this, args);
  };
  const configure = VideoDecoder.prototype.configure;
  VideoDecoder.prototype.configure = function (...args) {
    draws.configured = true;
    return configure.apply(this, args);
  };
})()`;

/**
 * The built page with the bridge and the offer in its URL, as a Tauri shell opens it; `query` adds to the query, e.g. `decoder=mse`.
 * A bridge given is forced (transport=bridge): Chromium has WebRTC and would otherwise not use it.
 */
export function builtPageUrl(bridgeUrl: string, offerText: string, query = ''): string {
  const forced = bridgeUrl ? '&transport=bridge' : '';
  return `${PAGE}?bridge=${encodeURIComponent(bridgeUrl)}${forced}${query ? `&${query}` : ''}#${offerText}`;
}

/** The built page in one engine. */
export interface BuiltPage {
  readonly engine: string;
  snapshot(): Promise<BuiltSnapshot | undefined>;
  /** Runs JavaScript in the page. */
  run(script: string): Promise<void>;
  /** Saves what the window shows as a PNG. */
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
  /** Console errors and CSP violations (Chromium only: WebKitGTK's are not read). */
  readonly errors: string[];
}

/** Clicks a button of the viewer by its words. */
export const clickViewerButton = (words: string): string =>
  `(() => { const v = document.querySelector('pigeon-app').shadowRoot.querySelector('pigeon-viewer'); const b = [...v.shadowRoot.querySelectorAll('button')].find((b) => b.textContent.trim() === ${JSON.stringify(words)}); if (b) b.click(); })()`;

/** `initScripts` run before the page's own, e.g. to take WebCodecs away. */
export async function builtPageInChromium(chromium: ChromiumHandle, url: string, initScripts: string[] = []): Promise<BuiltPage & { blocked: string[] }> {
  const { page, blocked, errors } = await open(chromium, url, { initScripts });
  return {
    engine: 'Chromium',
    blocked,
    errors,
    snapshot: async () => {
      const value = JSON.parse(String(await page.evaluate(PROBE))) as BuiltSnapshot | { pending: string };
      return 'pending' in value ? undefined : value;
    },
    run: async (script) => void (await page.evaluate(script)),
    screenshot: async (path) => void (await page.screenshot({ path: path as `${string}.png` })),
    close: () => page.close(),
  };
}

const WEBKIT_SCRIPT = fileURLToPath(new URL('./webkit-page.py', import.meta.url));

/** The built page in Debian's WebKitGTK under Xvfb (see webkitMissing() in page-driver.ts). */
export function builtPageInWebKit(url: string): BuiltPage {
  const child = spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x900x24', '/usr/bin/python3', WEBKIT_SCRIPT, url, PROBE], { stdio: ['pipe', 'pipe', 'pipe'] });
  let latest: BuiltSnapshot | undefined;
  let stderr = '';
  const shots = new Map<string, () => void>();
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const value = JSON.parse(line) as BuiltSnapshot | { pending: string } | { screenshot: string };
      if ('screenshot' in value) shots.get(value.screenshot)?.();
      else if (!('pending' in value)) latest = value;
    } catch {
      // Not a snapshot: WebKit's own chatter.
    }
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    engine: 'WebKitGTK',
    errors: [],
    snapshot: async () => {
      if (child.exitCode !== null) throw new Error(`WebKitGTK exited (${child.exitCode}): ${stderr}`);
      return latest;
    },
    run: async (script) => void child.stdin.write(`${script.replace(/\n/g, ' ')}\n`),
    screenshot: (path) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`WebKitGTK saved no screenshot within 10 s: ${stderr}`)), 10_000);
        shots.set(path, () => (clearTimeout(timer), resolve()));
        child.stdin.write(`window-screenshot ${path}\n`);
      }),
    close: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The page's snapshot once `done` holds, within `boundMs`; else fails saying `what` and what the page shows. */
export async function pageShows(page: BuiltPage, done: (s: BuiltSnapshot) => boolean, boundMs: number, what: string): Promise<BuiltSnapshot> {
  const last = await eventually(() => page.snapshot(), (s) => s !== undefined && done(s), boundMs, 200);
  assert.ok(last && done(last), `${page.engine}: ${what} within ${boundMs} ms; the page shows ${JSON.stringify(last)}`);
  return last;
}
