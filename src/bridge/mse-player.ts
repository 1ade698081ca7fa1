/**
 * Frames from the bridge played through Media Source Extensions in a `<video>`: for engines with
 * MSE but no WebCodecs VideoDecoder (or where one is asked for: `decoder="mse"`). H.264 only: each
 * access unit becomes a fragment of an MP4 (./fmp4.ts) appended to one SourceBuffer, the init
 * segment built from the keyframe's SPS and PPS (again when they change). Kept near the live
 * edge: what has played is removed, from keyframe to keyframe, and a picture that falls more than
 * MAX_BEHIND_S behind the newest frame jumps to a keyframe (one at hand, or one asked for).
 */
import { toAvc } from './avc.ts';
import type { DecoderStats, FrameSink } from './decoder.ts';
import { BridgeError } from './errors.ts';
import { initSegment, mediaSegment, TIMESCALE } from './fmp4.ts';
import type { BridgeFrame } from './frame.ts';
import type { VideoCodecName } from './protocol.ts';
import { avcCSize } from './sps.ts';

/** The MSE type asked about: constrained baseline 3.1, what the Pi sends. */
export const MSE_H264_TYPE = 'video/mp4; codecs="avc1.42e01f"';
/** Further behind the newest frame than this (s) and the picture jumps to a keyframe. */
const MAX_BEHIND_S = 0.5;
/** Behind by more than this (s) and it plays a little faster to catch up. */
const CATCH_UP_S = 0.15;
/** What has played stays this long (s) before it is removed. */
const KEEP_BEHIND_S = 2;
/** Segments waiting for the SourceBuffer beyond this and the page is not keeping up: skip to a keyframe. */
const MAX_QUEUE = 30;
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
  private readonly queue: Uint8Array<ArrayBuffer>[] = [];
  /** The avcC of the init segment appended last (or queued). */
  private description: Uint8Array | undefined;
  private codec: string | undefined;
  private sequence = 1;
  private needKeyframe = true;
  private lastDecodeTime: number | undefined;
  private lastDuration = DEFAULT_DURATION;
  /** Start times (s) of the keyframes appended, oldest first: where removal may end and a jump may land. */
  private keyframes: number[] = [];
  /** A keyframe was asked for to jump to. */
  private jumpAtKeyframe = false;
  private readonly counts = { framesReceived: 0, framesDropped: 0, decodeErrors: 0 };
  private lastError: string | undefined;
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
      this.queue.push(initSegment({ avcC: avc.config.description, ...size }));
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
    if (frame.keyframe) this.keyframes.push(decodeTime / TIMESCALE);
    this.queue.push(mediaSegment(this.sequence++, [{ decodeTime, duration: this.lastDuration, key: frame.keyframe, data: avc.data }]));
    this.append();
  }

  stats(): DecoderStats {
    const quality = this.video.getVideoPlaybackQuality?.();
    const framesDecoded = quality?.totalVideoFrames ?? 0;
    const now = performance.now();
    this.readings.push({ at: now, frames: framesDecoded });
    while (this.readings.length > 2 && now - this.readings[1]!.at >= 1000) this.readings.shift();
    const oldest = this.readings[0]!;
    const fps = now - oldest.at >= 500 ? Math.round(((framesDecoded - oldest.frames) * 1000) / (now - oldest.at)) : 0;
    const end = this.bufferedEnd();
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
    const next = this.queue.shift();
    if (!next) return;
    try {
      this.buffer.appendBuffer(next);
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

  /** Plays near the newest frame: a bit faster when a little behind, from a keyframe when far behind or outside what is buffered. */
  private keepLive(): void {
    const end = this.bufferedEnd();
    if (end === undefined || this.video.seeking) return;
    const now = this.video.currentTime;
    const behind = end - now;
    const buffered = this.video.buffered;
    const inside = Array.from({ length: buffered.length }, (_, i) => i).some((i) => now >= buffered.start(i) && now < buffered.end(i));
    if (behind > MAX_BEHIND_S || !inside) {
      const ahead = this.keyframes.filter((time) => time > now).at(-1);
      if (ahead !== undefined && end - ahead <= MAX_BEHIND_S) {
        // Seeking to a keyframe decodes nothing before it.
        this.video.currentTime = ahead;
        this.jumpAtKeyframe = false;
      } else if (!this.jumpAtKeyframe) {
        this.jumpAtKeyframe = true;
        this.onKeyframeNeeded();
      }
    }
    const rate = behind > CATCH_UP_S ? 1.1 : 1;
    if (this.video.playbackRate !== rate) this.video.playbackRate = rate;
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
