// Which frame a set of detections belongs to, as the encoder's RTP timestamp, so the page draws
// each set over its own frame. gst-launch -v prints a line per frame at the frame tap (an
// identity, source-spec.ts) with its PTS; the payloaders run with timestamp-offset=0, so a
// frame's RTP timestamp is its PTS at 90 kHz (measured in test/agent/frame-clock.test.ts).
//
//   offset  'pipeline' (the agent's own Hailo pipeline): hailoexportzmq's buffer_offset counts the
//           buffers it exported since the pipeline started, and the tap right after it sees the
//           same buffers in the same order, so offset N is the Nth frame the tap printed.
//   wallMs  another process (the user's hailo-apps app over shm): the time its callback saw the
//           frame, just before its shmsink; the agent stamps each frame as it arrives (shmsrc
//           do-timestamp), so the frame is the first that arrived at or after it, or a later one:
//           a frame never arrives before its callback ran.
//   offset  'producer' (that app's own frame count, with wallMs): under load the agent reads shm
//   + wallMs frames in bursts, and a frame held back arrives just before the next one, so wall time
//           alone also matches the frame before. Frames keep their order, so the tap's index minus
//           the producer's count (the lead) stays the same from frame to frame; it changes only when
//           a frame is lost on the way (the app's leaky queue), and then goes down. So the lead is
//           the most any set's wall-time match has shown, and when a set's match shows less, the
//           frame the lead names is taken if it came in the same burst as the match (the match is
//           the frame before, held back), else the lead goes down to the match's (a frame was lost).
//   pts     not used: another pipeline's PTS means nothing here, and gdppay/gdpdepay (which would
//           carry it over shm) cannot join a running app: gdpdepay refuses data before caps.
import { EventEmitter } from 'node:events';
import type { FrameRef } from './frame-ref.ts';
import { FRAME_TAP } from '../gst/gst-tokens.ts';

interface Frame {
  /** Frames the tap printed before this one in this run of gst-launch. */
  index: number;
  ptsNs: bigint;
}

export interface FrameClockOptions {
  /**
   * Whose count `offset` is: 'pipeline', the agent's own Hailo pipeline's, which counts frames as
   * the tap does; 'producer', another process's, used only beside `wallMs` and only its differences.
   */
  offsets: 'pipeline' | 'producer';
  /** How long a set may wait for its frame to be seen (default 300 ms). */
  waitMs?: number;
}

interface FrameClockEvents {
  frame: [];
}

const CLOCK_RATE = 90_000n;
const TWO_32 = 2n ** 32n;
/** 10 s of frames at 30 fps: a set older than that is drawn over nothing anyway. */
const KEEP = 300;
/** Realtime to monotonic conversion and whole milliseconds: a set may name a time this much before its frame arrived. */
const WALL_SLACK_NS = 3_000_000n;
/** The most a frame may arrive after the time its set names (a frame at 10 fps, and some). */
const WALL_REACH_NS = 150_000_000n;
/** Frames the mean interval between frames is taken over: a second at 30 fps, bursts and all. */
const INTERVAL_FRAMES = 30;
const FRAME = new RegExp(`${FRAME_TAP}:sink\\) \\(\\d+ bytes, dts: [^,]*, pts: (\\d+):(\\d\\d):(\\d\\d)\\.(\\d{9})`);
const NEW_RUN = /^Setting pipeline to PAUSED/;

function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** A PTS (running time, ns) as the payloader's RTP timestamp with timestamp-offset=0. */
export function rtpOfPts(ptsNs: bigint): number {
  return Number(((ptsNs * CLOCK_RATE) / 1_000_000_000n) % TWO_32);
}

export class FrameClock extends EventEmitter<FrameClockEvents> {
  private frames: Frame[] = [];
  private count = 0;
  /** Monotonic ns at running time 0: the least (seen - PTS) so far; each line only arrives later. */
  private baseNs: bigint | undefined;
  /** Tap index minus the producer's frame count, for 'producer' offsets: see the header. */
  private lead: number | undefined;

  constructor(private readonly options: FrameClockOptions) {
    super();
    this.setMaxListeners(0);
  }

  /** One line of gst-launch's stdout: the tap's frames are kept, a new run starts the count anew. */
  line(text: string, seenNs = monotonicNs()): void {
    if (NEW_RUN.test(text)) {
      this.frames = [];
      this.count = 0;
      this.baseNs = undefined;
      this.lead = undefined;
      return;
    }
    const match = FRAME.exec(text);
    if (!match) return;
    const [h, m, s, ns] = match.slice(1).map((part) => BigInt(part!));
    const ptsNs = ((h! * 60n + m!) * 60n + s!) * 1_000_000_000n + ns!;
    const base = seenNs - ptsNs;
    if (this.baseNs === undefined || base < this.baseNs) this.baseNs = base;
    this.frames.push({ index: this.count++, ptsNs });
    if (this.frames.length > KEEP) this.frames.splice(0, this.frames.length - KEEP);
    this.emit('frame');
  }

  /** The encoder's RTP timestamp of the frame, or undefined while it is not known. */
  rtpTimestamp(ref: FrameRef): number | undefined {
    if (ref.rtpTimestamp !== undefined) return ref.rtpTimestamp;
    const frame = this.find(ref);
    return frame && rtpOfPts(frame.ptsNs);
  }

  /**
   * Calls back with the frame's RTP timestamp once the frame is seen (a set may come before the
   * tap's line for its frame), or with undefined after waitMs: then it is drawn on the frame of the moment.
   */
  whenKnown(ref: FrameRef, callback: (rtpTimestamp: number | undefined) => void): void {
    const now = this.rtpTimestamp(ref);
    if (now !== undefined || !this.mapped(ref)) return callback(now);
    const check = (): void => {
      const rtp = this.rtpTimestamp(ref);
      if (rtp === undefined) return;
      done(rtp);
    };
    const timer = setTimeout(() => done(undefined), this.options.waitMs ?? 300);
    timer.unref();
    const done = (rtp: number | undefined): void => {
      clearTimeout(timer);
      this.off('frame', check);
      callback(rtp);
    };
    this.on('frame', check);
  }

  /** Whether the clock can ever name this set's frame. */
  private mapped(ref: FrameRef): boolean {
    return (this.options.offsets === 'pipeline' && ref.offset !== undefined) || ref.wallMs !== undefined;
  }

  private find(ref: FrameRef): Frame | undefined {
    if (this.options.offsets === 'pipeline' && ref.offset !== undefined) return this.at(ref.offset);
    if (ref.wallMs === undefined) return undefined;
    const match = this.byWall(ref.wallMs);
    if (!match || ref.offset === undefined) return match;
    const lead = match.index - ref.offset;
    if (this.lead === undefined || lead >= this.lead) {
      this.lead = lead;
      return match;
    }
    const named = this.at(ref.offset + this.lead);
    // Not here yet: asked again at the next frame, which tells a burst from a lost frame.
    if (!named) return undefined;
    // Frames read as they come are a frame interval apart; from one burst, much less.
    if ((named.ptsNs - match.ptsNs) * 2n < this.intervalNs()) return named;
    this.lead = lead;
    return match;
  }

  /** The mean time between the last frames' arrivals. */
  private intervalNs(): bigint {
    const last = this.frames.at(-1);
    const first = this.frames.at(-Math.min(this.frames.length, INTERVAL_FRAMES + 1));
    return last && first && last !== first ? (last.ptsNs - first.ptsNs) / BigInt(last.index - first.index) : 0n;
  }

  /** The frame the tap printed index-th in this run, if still kept. */
  private at(index: number): Frame | undefined {
    const first = this.frames[0];
    return first && this.frames[index - first.index];
  }

  /** The first frame that arrived at or after the wall time (ms since 1970), if within reach. */
  private byWall(wallMs: number): Frame | undefined {
    if (this.baseNs === undefined) return undefined;
    const realMinusMono = BigInt(Date.now()) * 1_000_000n - monotonicNs();
    const target = BigInt(Math.round(wallMs * 1000)) * 1000n - realMinusMono - WALL_SLACK_NS;
    const base = this.baseNs;
    const frame = this.frames.find((f) => f.ptsNs + base >= target);
    // A set older than every frame kept has lost its frame: not the oldest one instead.
    return frame && frame.ptsNs + base - target <= WALL_REACH_NS ? frame : undefined;
  }
}
