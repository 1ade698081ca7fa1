import { createRequire } from 'node:module';
import type { Page } from 'puppeteer-core';

/*
 * Glass-to-glass latency read from the canvas <pigeon-viewer> draws the bridge's frames on, for
 * bench:bridge. A canvas has no requestVideoFrameCallback (what the native probe in
 * test/support/browser-peer.ts uses), so: the canvas's drawImage is wrapped to note that a frame
 * was drawn; at the next animation frame the picture is read (jsQR: the agent's clock in
 * --source latency) and counted as on the glass one display frame after that animation frame
 * started, which is when what a page drew in it is shown — the moment rVFC's
 * expectedDisplayTime names for a <video>.
 *
 * Reading costs the page's main thread (a readback of the canvas and jsQR), and through the
 * bridge that thread also takes the frames off the WebSocket and feeds the decoder: read on
 * every frame (as the native probe does, whose decoding is off the main thread) it halved the
 * frame rate on this 2-core machine and the backlog grew to ~0.7 s. So every READ_EVERY-th
 * drawn frame is read, at half size (the code fills the frame: ~10 px modules still read).
 */
const READ_EVERY = 3;
export async function startCanvasLatencyProbe(page: Page): Promise<void> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js') });
  await page.evaluate(`(() => {
    const viewer = document.querySelector('pigeon-app').shadowRoot.querySelector('pigeon-viewer');
    const canvas = viewer.shadowRoot.querySelector('canvas.frames');
    if (!canvas) throw new Error('no canvas.frames: is the video playing through the bridge?');
    const context = canvas.getContext('2d');
    const draw = context.drawImage.bind(context);
    let drawn = false;
    context.drawImage = (...args) => { draw(...args); drawn = true; };
    const reader = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    const samples = (window.pigeonCanvasLatency = { latencyMs: [], readMs: [], vsyncMs: [] });
    let last;
    let count = 0;
    const tick = (now) => {
      requestAnimationFrame(tick);
      if (last !== undefined) samples.vsyncMs.push(now - last);
      if (samples.vsyncMs.length > 600) samples.vsyncMs.shift();
      last = now;
      if (!drawn) return;
      drawn = false;
      if (++count % ${READ_EVERY} !== 0) return;
      const sorted = [...samples.vsyncMs].sort((a, b) => a - b);
      const interval = sorted[Math.floor(sorted.length / 2)] || 1000 / 60;
      const presented = performance.timeOrigin + now + interval;
      const started = performance.now();
      const width = Math.round(canvas.width / 2);
      const height = Math.round(canvas.height / 2);
      reader.canvas.width = width;
      reader.canvas.height = height;
      reader.drawImage(canvas, 0, 0, width, height);
      const pixels = reader.getImageData(0, 0, width, height);
      const code = window.jsQR(pixels.data, width, height);
      samples.readMs.push(performance.now() - started);
      if (code && /^\\d{13}$/.test(code.data)) samples.latencyMs.push(presented - Number(code.data));
    };
    requestAnimationFrame(tick);
  })()`);
}

export function canvasLatencySamples(page: Page): Promise<{ latencyMs: number[]; readMs: number[] }> {
  return page.evaluate(`(() => { const s = window.pigeonCanvasLatency; return { latencyMs: [...s.latencyMs], readMs: [...s.readMs] }; })()`) as Promise<{ latencyMs: number[]; readMs: number[] }>;
}
