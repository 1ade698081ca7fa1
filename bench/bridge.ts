/**
 * npm run bench:bridge — the bridge on this machine. Prints figures; asserts nothing.
 *
 * 1. Glass-to-glass latency, same run, same agent (--source latency: its clock as a QR code in
 *    every frame, 640×480@30, x264 zerolatency): the native WebRTC path in Chromium (a <video>,
 *    read at rVFC's expected display time, as bench:latency) beside the built page in Chromium
 *    with ?bridge= (<pigeon-viewer> decoding with WebCodecs onto its canvas, read as
 *    ./canvas-latency-probe.ts says), and the same page with ?decoder=mse (the frames as fragmented
 *    MP4 through MSE in a <video>, read as ./video-latency-probe.ts says), FRAMES frames each
 *    (default 300); the ratios (goal ≤ 1.3× for the canvas), and the bridge's CPU while it carried
 *    the canvas's video.
 * 2. One viewer at the agent's defaults on its test source (640×480@30, ~2 Mbit/s H.264) with a
 *    page that is a Node WebSocket client: over WINDOW_S seconds (default 20), frames per second
 *    delivered, and the bridge process's CPU (user + system, % of one core).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { decodeBlob, encodeBlob } from '../src/signal/index.ts';
import { AgentProcess, BridgeProcess, PROBE, WsPage, builtPageUrl, launchChromium, open, type BuiltSnapshot } from '../test/harness/index.ts';
import { canvasLatencySamples, startCanvasLatencyProbe } from './canvas-latency-probe.ts';
import { startVideoLatencyProbe, videoLatencySamples } from './video-latency-probe.ts';

const WINDOW_S = Number(process.env.WINDOW_S ?? 20);
const FRAMES = Number(process.env.FRAMES ?? 300);
const TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  // Fields 14 and 15 of /proc/PID/stat (after the command name in parentheses): utime, stime.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Polls `samples` until FRAMES past the first `skip`, or 60 s; returns those. */
async function collect(samples: () => Promise<{ latencyMs: number[] }>): Promise<number[]> {
  // Let the first keyframe and the jitter buffer settle before counting.
  await sleep(2000);
  const skip = (await samples()).latencyMs.length;
  const until = Date.now() + 60_000;
  let latest = await samples();
  while (latest.latencyMs.length - skip < FRAMES && Date.now() < until) {
    await sleep(500);
    latest = await samples();
  }
  return latest.latencyMs.slice(skip);
}

/** What the built page shows (test/bridge/built-page.ts), once `done` holds; 30 s at most. */
async function pageShows(page: Page, done: (s: BuiltSnapshot) => boolean, what: string): Promise<BuiltSnapshot> {
  const until = Date.now() + 30_000;
  for (;;) {
    const value = JSON.parse(String(await page.evaluate(PROBE))) as BuiltSnapshot | { pending: string };
    if (!('pending' in value) && done(value)) return value;
    if (Date.now() > until) throw new Error(`the page showed no ${what} within 30 s: ${JSON.stringify(value)}`);
    await sleep(200);
  }
}

const describeMs = (ms: number[]): string => `median ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms (${ms.length} frames)`;

async function latencyBesideNative(): Promise<void> {
  const chromium = await launchChromium();
  const agent = new AgentProcess(['offer', '--source', 'latency', '--width', '640', '--height', '480', '--fps', '30', '--encoder', 'x264', '--bitrate', '2000', '--stats-interval', '0']);
  const bridge = new BridgeProcess();
  try {
    // Native: Chromium's own RTCPeerConnection, a <video>.
    const offer = await agent.next('offer');
    const viewer = await chromium.newPeer();
    await viewer.startLatencyProbe();
    const sdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
    agent.write(encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }).text);
    await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
    const native = await collect(() => viewer.latencySamples());
    await viewer.close();

    // Through the bridge: the built page with ?bridge=, <pigeon-viewer> drawing on its canvas.
    const next = await agent.next('offer', { where: (e) => e.offerId !== offer.offerId });
    const { page } = await open(chromium, builtPageUrl(await bridge.url, next.text));
    const answered = await pageShows(page, (s) => s.answer !== '', 'the answer');
    agent.write(answered.answer);
    await agent.next('viewer-joined', { where: (e) => e.viewer === next.offerId });
    await pageShows(page, (s) => s.canvas && s.framesDecoded > 0, 'frames on the canvas');
    await startCanvasLatencyProbe(page);
    const cpu0 = cpuTicks(bridge.pid);
    const t0 = Date.now();
    const bridged = await collect(() => canvasLatencySamples(page));
    const cpu = ((cpuTicks(bridge.pid) - cpu0) / TICKS / ((Date.now() - t0) / 1000)) * 100;
    const final = await pageShows(page, () => true, 'the stats');
    await page.close();

    // Through the bridge with ?decoder=mse: fragmented MP4 through MSE in a <video>.
    const third = await agent.next('offer', { where: (e) => e.offerId !== offer.offerId && e.offerId !== next.offerId });
    const { page: msePage } = await open(chromium, builtPageUrl(await bridge.url, third.text, 'decoder=mse'));
    const mseAnswered = await pageShows(msePage, (s) => s.answer !== '', 'the answer');
    agent.write(mseAnswered.answer);
    await agent.next('viewer-joined', { where: (e) => e.viewer === third.offerId });
    await pageShows(msePage, (s) => s.mse && s.framesDecoded > 0, 'frames in the MSE <video>');
    await startVideoLatencyProbe(msePage);
    const mse = await collect(() => videoLatencySamples(msePage));
    const mseFinal = await pageShows(msePage, () => true, 'the stats');
    await msePage.close();

    const ratio = percentile(bridged, 50) / percentile(native, 50);
    console.log('glass-to-glass latency, 640×480@30, x264 zerolatency, loopback, Chromium, same run:');
    console.log(`  native WebRTC (<video>):            ${describeMs(native)}`);
    console.log(`  through pigeon-bridge (canvas):     ${describeMs(bridged)}; page decoded ${final.fps} fps, ${final.kbps.toFixed(0)} kbit/s`);
    console.log(`  ratio of medians ${ratio.toFixed(2)}× (goal ≤ 1.3×: ${ratio <= 1.3 ? 'met' : 'MISSED'}); bridge CPU meanwhile ${cpu.toFixed(1)} % of one core`);
    console.log(`  through pigeon-bridge (MSE <video>): ${describeMs(mse)}; page decoded ${mseFinal.fps} fps, ${mseFinal.behindMs ?? '?'} ms behind its buffered end; ${(percentile(mse, 50) / percentile(native, 50)).toFixed(2)}× native`);
  } finally {
    await Promise.allSettled([bridge.stop(), agent.stop()]);
    await chromium.close();
  }
}

await latencyBesideNative();

const agent = new AgentProcess(['offer', '--source', 'test', '--stats-interval', '0']);
const bridge = new BridgeProcess();
try {
  const [offer, url] = await Promise.all([agent.next('offer'), bridge.url]);
  const page = await WsPage.open(url, { origin: 'tauri://localhost' });
  page.send({ v: 1, type: 'accept', offer: offer.text });
  agent.write((await page.next('answer')).text);
  await page.framesUntil(30);
  await sleep(2000);
  const frames0 = page.frames.length;
  const bytes0 = page.frames.reduce((sum, f) => sum + f.data.length, 0);
  const cpu0 = cpuTicks(bridge.pid);
  const t0 = Date.now();
  await sleep(WINDOW_S * 1000);
  const seconds = (Date.now() - t0) / 1000;
  const frames = page.frames.length - frames0;
  const kbps = ((page.frames.reduce((sum, f) => sum + f.data.length, 0) - bytes0) * 8) / seconds / 1000;
  const cpu = ((cpuTicks(bridge.pid) - cpu0) / TICKS / seconds) * 100;
  const gaps = page.frames.slice(frames0).filter((f) => f.discontinuity).length;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`bridge, one viewer, ${seconds.toFixed(1)} s: ${(frames / seconds).toFixed(1)} frames/s delivered, ${kbps.toFixed(0)} kbit/s, ${gaps} gaps; bridge CPU ${cpu.toFixed(1)} % of one core (load average ${load})`);
  page.close();
} finally {
  await Promise.allSettled([bridge.stop(), agent.stop()]);
}
