import { createRequire } from 'node:module';
import type { Page } from 'puppeteer-core';

/*
 * Glass-to-glass latency read from the <video> <pigeon-viewer> plays the bridge's frames in
 * through MSE (?decoder=mse), for bench:bridge: as the native probe (test/harness/page/
 * peer-runtime.ts), requestVideoFrameCallback's expectedDisplayTime is the glass end and the
 * frame's QR code (the agent's clock in --source latency) the other. As in
 * ./canvas-latency-probe.ts, only every READ_EVERY-th frame is read, at half size: the page's main
 * thread also takes the frames off the WebSocket and appends them.
 */
const READ_EVERY = 3;
export async function startVideoLatencyProbe(page: Page): Promise<void> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js') });
  await page.evaluate(`(() => {
    const viewer = document.querySelector('pigeon-app').shadowRoot.querySelector('pigeon-viewer');
    const video = viewer.shadowRoot.querySelector('video.frames');
    if (!video) throw new Error('no video.frames: is the video playing through the bridge with decoder=mse?');
    const reader = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    const samples = (window.pigeonVideoLatency = { latencyMs: [], readMs: [] });
    let count = 0;
    const read = (_now, meta) => {
      video.requestVideoFrameCallback(read);
      if (++count % ${READ_EVERY} !== 0) return;
      const presented = performance.timeOrigin + meta.expectedDisplayTime;
      const started = performance.now();
      const width = Math.round(meta.width / 2);
      const height = Math.round(meta.height / 2);
      reader.canvas.width = width;
      reader.canvas.height = height;
      reader.drawImage(video, 0, 0, width, height);
      const code = window.jsQR(reader.getImageData(0, 0, width, height).data, width, height);
      samples.readMs.push(performance.now() - started);
      if (code && /^\\d{13}$/.test(code.data)) samples.latencyMs.push(presented - Number(code.data));
    };
    video.requestVideoFrameCallback(read);
  })()`);
}

export function videoLatencySamples(page: Page): Promise<{ latencyMs: number[]; readMs: number[] }> {
  return page.evaluate(`(() => { const s = window.pigeonVideoLatency; return { latencyMs: [...s.latencyMs], readMs: [...s.readMs] }; })()`) as Promise<{ latencyMs: number[]; readMs: number[] }>;
}
