/**
 * Frames from the bridge played through Media Source Extensions in a `<video>`: for engines with
 * MSE but no WebCodecs VideoDecoder (or where one is asked for: `decoder="mse"`). H.264 only: each
 * access unit becomes a fragment of an MP4 (./fmp4.ts) appended to one SourceBuffer, the init
 * segment built from the keyframe's SPS and PPS (again when they change). Kept near the live
 * edge: what has played is removed, from keyframe to keyframe, and a picture that falls behind
 * the newest frame jumps to a keyframe (one at hand, or one asked for).
 */
import { toAvc } from './avc.ts';
import type { DecoderStats, FrameSink } from './decoder.ts';
import { BridgeError } from '../bridge-wire/errors.ts';
import { initSegment, mediaSegment, TIMESCALE, type Sample } from './fmp4.ts';
import type { BridgeFrame } from '../bridge-wire/frame.ts';
import type { VideoCodecName } from '../bridge-wire/protocol.ts';
import { avcCSize } from './sps.ts';

/** The MSE type asked about: constrained baseline 3.1, what the Pi sends. */
export const MSE_H264_TYPE = 'video/mp4; codecs="avc1.42e01f"';
/** Further behind the newest frame than this (s) and the picture jumps to a keyframe. */
const MAX_BEHIND_S = 0.5;
/** Behind by more than this (s) for CATCH_UP_AFTER_MS and it jumps to a keyframe, at most every CATCH_UP_EVERY_MS. */
const CATCH_UP_S = 0.2;
const CATCH_UP_AFTER_MS = 1000;
const CATCH_UP_EVERY_MS = 10_000;
/** How far past a keyframe's time (s) a jump to it lands: within its frame. */
const SEEK_PAST_S = 0.002;
/** A keyframe asked for to jump to and not come by then (ms) is asked for again. */
const ASK_AGAIN_MS = 2000;
/** What has played stays this long (s) before it is removed. */
const KEEP_BEHIND_S = 2;
/** Frames waiting for the SourceBuffer beyond this (2 s) and the page is not keeping up: skip to a keyframe. */
const MAX_QUEUE = 60;
/** A frame's duration before two frames have said it: 30 fps. */
const DEFAULT_DURATION = TIMESCALE / 30;

type MediaSourceClass = typeof MediaSource;

/** MediaSource, or Safari's ManagedMediaSource where only that exists (iOS 17.1). */
function mediaSourceClass(): MediaSourceClass | undefined {
  const scope = globalThis as { ManagedMediaSource?: MediaSourceClass; MediaSource?: MediaSourceClass };
  return scope.MediaSource ?? scope.ManagedMediaSource;
}

/** The codecs this engine plays from the bridge through MSE: H.264, or none. */
export function mseCodecs(): VideoCodecName[] {
  try {
    return mediaSourceClass()?.isTypeSupported(MSE_H264_TYPE) ? ['H264'] : [];
  } catch {
    return [];
  }
}

export class MsePlayer implements FrameSink {
  private readonly source: MediaSource;
  private readonly url: string;
  private buffer: SourceBuffer | undefined;
  /**
   * What waits for the SourceBuffer, in order: init segments, and frames that go out together as
   * one media segment when it is free (an engine whose appends are slow, WebKitGTK's, gets fewer
   * and larger ones rather than falling behind).
   */
  private readonly queue: ({ init: Uint8Array<ArrayBuffer> } | { sample: Sample })[] = [];
  /** The avcC of the init segment appended last (or queued). */
  private description: Uint8Array | undefined;
  private codec: string | undefined;
  private sequence = 1;
  private needKeyframe = true;
  private lastDecodeTime: number | undefined;
  private lastDuration = DEFAULT_DURATION;
  /** Where the newest frame queued ends (s): the live edge, whether or not the SourceBuffer kept it. */
  private newest: number | undefined;
  /** Start times (s) of the keyframes appended, oldest first: where removal may end and a jump may land. */
  private keyframes: number[] = [];
  /** When a keyframe to jump to was asked for (performance.now()), until it is jumped to. */
  private askedAt: number | undefined;
  /** Since when the picture has been more than CATCH_UP_S behind, and when it last asked to catch up. */
  private laggingSince: number | undefined;
  private caughtUpAt = -Infinity;
  private readonly counts = { framesReceived: 0, framesDropped: 0, decodeErrors: 0 };
  private lastError: string | undefined;
  /** The decoded count as last read, and what earlier counts add (an engine may count again from 0 after a seek: WebKitGTK). */
  private decoded = { last: 0, base: 0 };
  /** Readings of the decoded count (ms, frames), for fps. */
  private readings: { at: number; frames: number }[] = [];
  private closed = false;

  /**
   * @param video where the video plays; muted, so it may play by itself.
   * @param onKeyframeNeeded called when playing can only go on from a keyframe (ask the bridge for one).
   */
  constructor(
    private readonly video: HTMLVideoElement,
    private readonly onKeyframeNeeded: () => void = () => undefined,
  ) {
    const Source = mediaSourceClass();
    if (!Source) throw new BridgeError('E_DECODER', 'this browser has no Media Source Extensions, so it cannot play the video from the bridge in a <video>');
    this.source = new Source();
    this.url = URL.createObjectURL(this.source);
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    // ManagedMediaSource plays only where the page says AirPlay has nothing to take.
    video.disableRemotePlayback = true;
    this.source.addEventListener('sourceopen', () => this.append(), { once: true });
    video.src = this.url;
  }

  decode(frame: BridgeFrame): void {
    if (this.closed) return;
    this.counts.framesReceived++;
    if (frame.codec !== 'H264') return this.fail(`${frame.codec} cannot be played through Media Source Extensions here (H.264 only)`);
    const avc = toAvc(frame.data);
    if (avc.config && !sameBytes(avc.config.description, this.description)) {
      const size = avcCSize(avc.config.description);
      if (!frame.keyframe || !size) return this.drop();
      if (this.codec && avc.config.codec !== this.codec) this.buffer?.changeType?.(`video/mp4; codecs="${avc.config.codec}"`);
      this.description = avc.config.description;
      this.codec = avc.config.codec;
      this.queue.push({ init: initSegment({ avcC: avc.config.description, ...size }) });
    }
    if (!this.description) return this.drop();
    if (!frame.keyframe && (this.needKeyframe || this.queue.length > MAX_QUEUE)) {
      if (!this.needKeyframe) this.onKeyframeNeeded();
      this.needKeyframe = true;
      return this.drop();
    }
    this.needKeyframe = false;
    const decodeTime = Math.round((frame.timestampUs * TIMESCALE) / 1e6);
    // The duration is known only when the next frame comes; the last one's stands in (the next fragment's own time corrects any error).
    if (this.lastDecodeTime !== undefined && decodeTime > this.lastDecodeTime && !frame.discontinuity) this.lastDuration = Math.min(decodeTime - this.lastDecodeTime, TIMESCALE);
    this.lastDecodeTime = decodeTime;
    this.newest = (decodeTime + this.lastDuration) / TIMESCALE;
    if (frame.keyframe) this.keyframes.push(decodeTime / TIMESCALE);
    this.queue.push({ sample: { decodeTime, duration: this.lastDuration, key: frame.keyframe, data: avc.data } });
    this.append();
  }

  stats(): DecoderStats {
    const quality = this.video.getVideoPlaybackQuality?.();
    const total = quality?.totalVideoFrames ?? 0;
    if (total < this.decoded.last) this.decoded.base += this.decoded.last;
    this.decoded.last = total;
    const framesDecoded = this.decoded.base + total;
    const now = performance.now();
    this.readings.push({ at: now, frames: framesDecoded });
    while (this.readings.length > 2 && now - this.readings[1]!.at >= 1000) this.readings.shift();
    const oldest = this.readings[0]!;
    const fps = now - oldest.at >= 500 ? Math.round(((framesDecoded - oldest.frames) * 1000) / (now - oldest.at)) : 0;
    const end = this.newest ?? this.bufferedEnd();
    return {
      ...this.counts,
      framesDecoded,
      framesDropped: this.counts.framesDropped + (quality?.droppedVideoFrames ?? 0),
      fps,
      width: this.video.videoWidth,
      height: this.video.videoHeight,
      codec: this.description ? 'H264' : undefined,
      lastError: this.lastError ?? (this.video.error ? `MediaError ${this.video.error.code}: ${this.video.error.message}` : undefined),
      behindMs: end === undefined ? undefined : Math.max(0, Math.round((end - this.video.currentTime) * 1000)),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    URL.revokeObjectURL(this.url);
    // A reconnect's new player may own the element already.
    if (this.video.src === this.url) {
      this.video.removeAttribute('src');
      this.video.load();
    }
  }

  /** Hands the next queued segment to the SourceBuffer once it is free; each `updateend` comes back here. */
  private append(): void {
    if (this.closed || this.source.readyState !== 'open') return;
    if (!this.buffer) {
      if (!this.codec) return;
      try {
        this.buffer = this.source.addSourceBuffer(`video/mp4; codecs="${this.codec}"`);
      } catch (error) {
        return this.fail(`this browser's Media Source Extensions refused ${this.codec}: ${String(error)}`);
      }
      this.buffer.addEventListener('updateend', () => this.afterUpdate());
      this.buffer.addEventListener('error', () => this.fail('the SourceBuffer could not take a segment'));
    }
    if (this.buffer.updating) return;
    const head = this.queue[0];
    if (!head) return;
    let segment: Uint8Array<ArrayBuffer>;
    if ('init' in head) {
      this.queue.shift();
      segment = head.init;
    } else {
      const run = this.queue.findIndex((entry) => 'init' in entry);
      const samples = this.queue.splice(0, run < 0 ? this.queue.length : run).map((entry) => ('sample' in entry ? entry.sample : undefined)).filter((sample) => sample !== undefined);
      segment = mediaSegment(this.sequence++, samples);
    }
    try {
      this.buffer.appendBuffer(segment);
    } catch (error) {
      // QuotaExceededError: full despite the trimming; start again from a keyframe with what has played removed.
      this.lastError = String(error);
      this.queue.length = 0;
      this.needKeyframe = true;
      this.onKeyframeNeeded();
      this.trim(this.video.currentTime);
    }
  }

  private afterUpdate(): void {
    if (this.closed) return;
    this.keepLive();
    if (this.queue.length > 0) this.append();
    else this.trim(this.video.currentTime - KEEP_BEHIND_S);
    if (this.video.paused && this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) void this.video.play().catch(() => undefined);
  }

  /**
   * Plays near the newest frame: more than MAX_BEHIND_S behind (or outside what is buffered), or
   * more than CATCH_UP_S behind for CATCH_UP_AFTER_MS, it jumps to a keyframe, one at hand or one
   * asked for. Not by playing faster: a change of rate stalled WebKitGTK's MSE for good (GStreamer
   * seeks to change rate), and a seek between keyframes decodes from the one before.
   */
  private keepLive(): void {
    const end = this.bufferedEnd();
    if (end === undefined || this.video.seeking) return;
    const now = this.video.currentTime;
    const behind = end - now;
    const buffered = this.video.buffered;
    const inside = Array.from({ length: buffered.length }, (_, i) => i).some((i) => now >= buffered.start(i) && now < buffered.end(i));
    const clock = performance.now();
    this.laggingSince = behind > CATCH_UP_S ? (this.laggingSince ?? clock) : undefined;
    // MSE drops every frame up to the next keyframe after a gap in decode times of more than two
    // frames (a source that skipped some under load): the buffer stops growing while frames come.
    const dropping = this.newest !== undefined && this.newest - end > MAX_BEHIND_S;
    const far = behind > MAX_BEHIND_S || !inside || dropping;
    // An engine that always plays this far behind would ask for a keyframe each time: once in a while only.
    const lagging = this.laggingSince !== undefined && clock - this.laggingSince >= CATCH_UP_AFTER_MS && clock - this.caughtUpAt >= CATCH_UP_EVERY_MS;
    if (!far && !lagging && this.askedAt === undefined) return;
    const ahead = this.keyframes.filter((time) => time > now).at(-1);
    if (ahead !== undefined && end - ahead <= (far ? MAX_BEHIND_S : CATCH_UP_S)) {
      // Seeking to a keyframe decodes nothing before it. Just past it: the engine keeps times in its
      // own units (µs, ns), and a range that starts a hair after the keyframe's time in ticks would
      // leave the seek in a gap.
      const range = Array.from({ length: buffered.length }, (_, i) => i).find((i) => buffered.end(i) > ahead);
      this.video.currentTime = Math.max(ahead, range === undefined ? ahead : buffered.start(range)) + SEEK_PAST_S;
      this.askedAt = undefined;
      this.laggingSince = undefined;
    } else if ((far || lagging) && (this.askedAt === undefined || clock - this.askedAt > ASK_AGAIN_MS)) {
      this.askedAt = clock;
      this.caughtUpAt = clock;
      this.onKeyframeNeeded();
    }
  }

  /** Removes what is before the last keyframe at or before `before` (s): nothing after it depends on it. */
  private trim(before: number): void {
    const buffer = this.buffer;
    if (!buffer || buffer.updating) return;
    const start = this.video.buffered.length > 0 ? this.video.buffered.start(0) : undefined;
    const until = this.keyframes.filter((time) => time <= before).at(-1);
    if (start === undefined || until === undefined || until - start < 1) return;
    this.keyframes = this.keyframes.filter((time) => time >= until);
    buffer.remove(start, until);
  }

  private bufferedEnd(): number | undefined {
    const buffered = this.video.buffered;
    return buffered.length > 0 ? buffered.end(buffered.length - 1) : undefined;
  }

  private fail(words: string): void {
    this.counts.decodeErrors++;
    this.lastError = words;
    this.drop();
  }

  private drop(): void {
    this.counts.framesDropped++;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}
