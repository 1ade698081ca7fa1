/**
 * Boxes on their own frame, measured end to end (issue 22): the stand-in hailo-apps app
 * (test/harness/hailo-app.py) numbers each frame in its picture and labels that frame's set
 * `frame N` from its callback, through Pigeon's helper to the agent's `--detections unix:`
 * socket; its frames reach the agent over shm (`--source shm`), which gives each set its frame's
 * RTP timestamp (frame-clock.ts). A Chromium page shows the video: the test reads each decoded
 * frame's number off its picture, keyed by its RTP timestamp, and for every frame presented
 * (requestVideoFrameCallback) which set the viewer drew over it, when the frame was put on screen
 * and last while it stayed there (a set later than its frame is drawn over it at once). The
 * figure: of the frames presented with a set drawn, the share whose set is their own.
 *
 * The figure is printed with the load average it was measured at; docs/protocol.md has the runs.
 */
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { agentRig, eventually, hailoAppOverShm, watchAgent } from '../harness/index.ts';

const rig = agentRig();
/** Frames presented to measure over: 20 s at 30 fps. */
const FRAMES = 600;
const BITS = 16;
const BAND = 20;

/** One presented frame: its number read off the picture and the set drawn over it. */
interface Presented {
  rtp: number;
  /** The number in the picture; undefined when it did not read cleanly (its inverted copy disagreed). */
  number: number | undefined;
  /** The set's frame number drawn when the frame was put on screen, and the last drawn while it stayed. */
  first: number | undefined;
  last: number | undefined;
  /** When it was put on screen (performance.now()). */
  at: number;
}

/** A set the viewer received: its frame number (from its label), the RTP timestamp the agent gave it, and when. */
interface Received {
  number: number;
  rtp: number | undefined;
  at: number;
}

/**
 * Follows the viewer's frames in the page until `count` presented frames carry a drawn set. The
 * number is read off each decoded frame as the track delivers it (MediaStreamTrackProcessor on a
 * clone of the viewer's track), keyed by its RTP timestamp, not off the <video> in the frame
 * callback: by the time that runs, the element may already show the next frame.
 */
async function measure(page: Page, count: number, timeoutMs: number): Promise<{ presented: Presented[]; received: Received[] }> {
  return page.evaluate(
    (want, ms, bits, band) =>
      new Promise<{ presented: Presented[]; received: Received[] }>((resolve, reject) => {
        interface TrackProcessor {
          readable: ReadableStream<VideoFrame>;
        }
        const Processor = (globalThis as unknown as { MediaStreamTrackProcessor?: new (init: { track: MediaStreamTrack }) => TrackProcessor }).MediaStreamTrackProcessor;
        const viewer = document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!;
        const video = viewer.shadowRoot!.querySelector('video')!;
        const track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
        if (!Processor || !track) return reject(new Error(`no MediaStreamTrackProcessor (${typeof Processor}) or no track (${String(track)})`));
        const canvas = document.createElement('canvas');
        const context = canvas.getContext('2d', { willReadFrequently: true })!;
        const numbers = new Map<number, number | undefined>();
        const frames = new Map<number, Presented>();
        const order: Presented[] = [];
        const received: Received[] = [];
        let done = false;
        const drawn = (): number | undefined => {
          const label = viewer.drawnDetections[0]?.label;
          const match = label === undefined ? null : /^frame (\d+)$/.exec(label);
          return match ? Number(match[1]) % 2 ** bits : undefined;
        };
        const read = (frame: VideoFrame): number | undefined => {
          const { displayWidth: width, displayHeight: height } = frame;
          if (canvas.width !== width || canvas.height !== height) [canvas.width, canvas.height] = [width, height];
          context.drawImage(frame, 0, 0, width, height);
          const block = Math.floor(width / bits);
          const pixels = context.getImageData(0, 0, width, band * 2).data;
          const bright = (x: number, y: number): boolean => pixels[(y * width + x) * 4]! > 128;
          let number = 0;
          for (let i = 0; i < bits; i++) {
            const x = i * block + Math.floor(block / 2);
            const bit = bright(x, Math.floor(band / 2));
            if (bit === bright(x, band + Math.floor(band / 2))) return undefined;
            number = number * 2 + (bit ? 1 : 0);
          }
          return number;
        };
        const reader = new Processor({ track: track.clone() }).readable.getReader();
        const pump = async (): Promise<void> => {
          while (!done) {
            const { value: frame } = await reader.read();
            if (!frame) return;
            const rtp = (frame as VideoFrame & { metadata(): { rtpTimestamp?: number } }).metadata().rtpTimestamp;
            if (rtp !== undefined) numbers.set(rtp, read(frame));
            frame.close();
          }
        };
        pump().catch(reject);
        // A set drawn after its frame went on screen: the viewer redraws on the set's arrival,
        // after which it fires the `detections` event.
        viewer.addEventListener('detections', (event) => {
          const label = /^frame (\d+)$/.exec(event.detail.boxes[0]?.label ?? '');
          if (label) received.push({ number: Number(label[1]) % 2 ** bits, rtp: event.detail.rtpTimestamp, at: performance.now() });
          const rtp = viewer.drawnDetectionsFrame;
          const frame = rtp === undefined ? undefined : frames.get(rtp);
          if (frame) frame.last = drawn();
        });
        const finish = (): void => {
          done = true;
          void reader.cancel();
          for (const frame of order) frame.number = numbers.get(frame.rtp);
          resolve({ presented: order, received });
        };
        const onFrame = (now: number, metadata: VideoFrameCallbackMetadata): void => {
          const rtp = metadata.rtpTimestamp;
          if (rtp !== undefined && !frames.has(rtp)) {
            // The viewer asked for its frame callbacks first, so it has picked this frame's set.
            const set = viewer.drawnDetectionsFrame === rtp ? drawn() : undefined;
            const frame: Presented = { rtp, number: undefined, first: set, last: set, at: now };
            frames.set(rtp, frame);
            if (set !== undefined || order.length > 0) order.push(frame);
          }
          // The last frames' own pictures may still be on their way through the processor.
          if (order.length >= want) return void setTimeout(finish, 500);
          video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
        setTimeout(() => reject(new Error(`${order.length} of ${want} frames presented with a set in ${ms} ms`)), ms);
      }),
    count,
    timeoutMs,
    BITS,
    BAND,
  );
}

test('each set of boxes is drawn over its own frame: at least 99 % of the frames presented, read off the picture', async (t) => {
  const { app, shm, unix } = await hailoAppOverShm(t, 'alignment');

  const agent = rig.startAgent(['offer', '--source', 'shm', '--shm', shm, '--width', '320', '--height', '240', '--fps', '30', '--detections', `unix:${unix}`, '--no-scan', '--stats-interval', '0']);
  t.after(() => agent.stop());
  const page = await watchAgent(agent, rig.chromium());
  // The helper reconnects at most once a second: wait for its sets to be drawn before measuring.
  await eventually(() => page.evaluate(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!.drawnDetections.length), (n) => n > 0, 30_000, 200);
  const load = loadavg()[0]!;
  const { presented, received } = await measure(page, FRAMES, 120_000);
  const loadAfter = loadavg()[0]!;
  await page.close();

  const withSet = presented.filter((f) => f.number !== undefined && f.last !== undefined);
  const own = withSet.filter((f) => f.last === f.number).length;
  const ownAtFirst = withSet.filter((f) => f.first === f.number).length;
  const offBy = new Map<number, number>();
  for (const f of withSet) if (f.last !== f.number) offBy.set(f.last! - f.number!, (offBy.get(f.last! - f.number!) ?? 0) + 1);
  const unread = presented.filter((f) => f.number === undefined).length;
  const bare = presented.filter((f) => f.number !== undefined && f.last === undefined).length;
  const share = own / Math.max(1, withSet.length);
  // Why a frame missed its set: the agent gave its own set another frame's RTP timestamp, or gave
  // it another frame's set too (the later of two is drawn), or the set came after the next frame
  // was on screen, or never came.
  const setOf = new Map(received.map((r) => [r.number, r]));
  const atOf = new Map(presented.map((f) => [f.rtp, f.at]));
  const why = { ownSetElsewhere: 0, anotherSetHere: 0, late: 0, never: 0, other: 0 };
  for (const f of withSet) {
    if (f.last === f.number) continue;
    const set = setOf.get(f.number!);
    if (!set) why.never++;
    else if (set.rtp !== f.rtp) why.ownSetElsewhere++;
    else if (setOf.get(f.last!)?.rtp === f.rtp) why.anotherSetHere++;
    else if (set.at > f.at + 1000 / 30) why.late++;
    else why.other++;
  }
  const lateMs = received.filter((r) => r.rtp !== undefined && atOf.has(r.rtp)).map((r) => r.at - atOf.get(r.rtp!)!);
  const lateCount = lateMs.filter((ms) => ms > 0).length;
  const rates = app.rates.slice(-20);
  console.log(
    `alignment: ${own}/${withSet.length} frames presented (${(share * 100).toFixed(1)} %) had their own set drawn over them; ` +
      `${ownAtFirst} (${((ownAtFirst / Math.max(1, withSet.length)) * 100).toFixed(1)} %) already when put on screen, the rest when their late set came; ` +
      `others off by ${JSON.stringify([...offBy].sort((a, b) => a[0] - b[0]))} frames (set minus picture: ${JSON.stringify(why)}); ${bare} with no set, ${unread} unreadable; ` +
      `${lateCount}/${lateMs.length} sets came after their frame's presentation time (at worst ${Math.max(0, ...lateMs).toFixed(0)} ms); ` +
      `load ${load.toFixed(1)} to ${loadAfter.toFixed(1)}; app ${(rates.reduce((s, r) => s + r.fps, 0) / Math.max(1, rates.length)).toFixed(1)} fps, ${rates.at(-1)?.dropped ?? '?'} sets dropped by the helper`,
  );
  assert.ok(withSet.length >= FRAMES * 0.9, `frames presented with a set, read cleanly: ${withSet.length} of ${presented.length} (${unread} unreadable)`);
  assert.ok(share >= 0.99, `at least 99 % on their own frame: ${(share * 100).toFixed(1)} %`);
});
