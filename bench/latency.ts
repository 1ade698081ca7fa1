/**
 * npm run bench:latency — glass-to-glass latency on this machine, measured with QR codes: the
 * agent's --source latency draws its clock into every frame; x264 (zerolatency) encodes it, werift
 * sends it, Chromium decodes it, and the page reads the code back from each presented frame.
 * Same machine, same clock: latency = expected display time of the frame − stamped time. Prints figures; asserts nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeBlob, encodeBlob } from '../src/signal/index.ts';
import { AgentProcess, launchChromium } from '../test/harness/index.ts';

const FRAMES = Number(process.env.FRAMES ?? 400);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const chromium = await launchChromium();
const agent = new AgentProcess(['offer', '--source', 'latency', '--width', '640', '--height', '480', '--fps', '30', '--encoder', 'x264', '--stats-interval', '0']);
try {
  const offer = await agent.next('offer');
  const viewer = await chromium.newPeer();
  await viewer.startLatencyProbe();
  const sdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
  agent.write(encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }).text);
  await agent.next('viewer-joined');
  // Let the first keyframe and the jitter buffer settle before counting.
  await sleep(2000);
  const skip = (await viewer.latencySamples()).latencyMs.length;
  const until = Date.now() + 60_000;
  let samples = await viewer.latencySamples();
  while (samples.latencyMs.length - skip < FRAMES && Date.now() < until) {
    await sleep(500);
    samples = await viewer.latencySamples();
  }
  const latency = samples.latencyMs.slice(skip);
  const read = samples.readMs.slice(skip);
  const presented = (await viewer.videoStats(3000)).fps;
  console.log(`glass-to-glass latency, 640×480@30, x264 zerolatency, loopback, ${latency.length} frames read:`);
  console.log(`  median ${percentile(latency, 50).toFixed(1)} ms   p95 ${percentile(latency, 95).toFixed(1)} ms   min ${Math.min(...latency).toFixed(1)}   max ${Math.max(...latency).toFixed(1)}`);
  console.log(`  frames ${presented.toFixed(1)} fps decoded; the page's QR read takes median ${percentile(read, 50).toFixed(1)} ms (after the stamp is taken, so not in the figure)`);
  console.log(`  goal <= 80 ms median (about two frame times at 30 fps = ${(2000 / 30).toFixed(1)} ms): ${percentile(latency, 50) <= 80 ? 'met' : 'MISSED'}`);
  console.log('  published figures for Pi streamers: ~50 ms (MJPEG over HTTP) to 200-300 ms (WebRTC servers)');
  await viewer.close();
} finally {
  await agent.stop();
  await chromium.close();
}
