import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Box } from '../signal/index.ts';
import type { DetectionsMessage } from './agent-channel.ts';

const NONE: readonly Box[] = [];
/** RTP video clock: 90 kHz. Boxes older than this (a second) are not drawn over a newer frame. */
const STALE_TICKS = 90_000;
const STALE_MS = 1000;
/** Enough for a few seconds of a detector running at frame rate. */
const KEEP = 256;
const TWO_32 = 2 ** 32;
/** Labels offered to filter by, at most: a detector's classes, not whatever a broken one sends. */
const MAX_LABELS = 100;

/**
 * Draws the agent's detections on a canvas over the video, each set over the frame it was made
 * for: on every displayed frame (requestVideoFrameCallback) it picks the set whose RTP timestamp
 * is the closest one at or before the frame's, so boxes do not run ahead of the picture they
 * belong to. A set that comes after its frame was put on screen is drawn at once, over that
 * frame (the video's path is usually the slower, but not always). Sets without a timestamp, or a
 * browser that gives none, fall back to the latest set.
 */
export class DetectionsController implements ReactiveController {
  /** The boxes drawn on the last frame: for the canvas's text alternative and for tests. */
  drawn: readonly Box[] = [];
  /** The RTP timestamp of the frame on screen the boxes were picked for (undefined: none known). */
  drawnFor: number | undefined;
  /** Set by the host; nothing is drawn while hidden. */
  hidden = false;
  /** Set by the host: only boxes with these labels are drawn; empty, all of them. */
  labels: readonly string[] = [];
  /** Set by the host: boxes less sure than this (0..1) are not drawn. */
  minConfidence = 0;
  /** Every label seen in this session, in the order first seen: what the page offers to filter by. */
  readonly seenLabels: string[] = [];
  /** Whether any detections arrived in this session (the toggle is shown from then on). */
  seen = false;

  private recent: DetectionsMessage[] = [];
  private latest: { message: DetectionsMessage; at: number } | undefined;
  private picture: HTMLVideoElement | HTMLCanvasElement | undefined;
  private canvas: HTMLCanvasElement | undefined;
  private frameRequest: number | undefined;
  private animationRequest: number | undefined;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.attach(undefined, undefined);
  }

  /** A `detections` message from the agent. */
  add(message: DetectionsMessage): void {
    if (!this.seen) {
      this.seen = true;
      this.host.requestUpdate();
    }
    // Shown at the host's next render (its stats come once a second): a render per new label
    // would be one per set from a detector that labels every box anew.
    for (const box of message.boxes) {
      if (this.seenLabels.length < MAX_LABELS && !this.seenLabels.includes(box.label)) this.seenLabels.push(box.label);
    }
    this.latest = { message, at: performance.now() };
    if (message.rtpTimestamp !== undefined) {
      this.recent.push(message);
      if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
      // Late for the frame on screen: that frame's pick may be this set now, so it is drawn at once
      // rather than at the next frame, which has a set of its own.
      if (this.drawnFor === undefined) return;
      const boxes = this.filter(this.pick(this.drawnFor)?.boxes);
      if (boxes !== this.drawn) this.show(boxes, this.drawnFor);
    }
  }

  /** Forgets every set (a new session). */
  clear(): void {
    this.recent = [];
    this.latest = undefined;
    this.seen = false;
    this.seenLabels.length = 0;
    this.show([], undefined);
  }

  /**
   * The picture to follow and the canvas over it; `undefined` stops drawing. A `<video>` is
   * followed frame by frame (requestVideoFrameCallback, with each frame's RTP timestamp); a
   * `<canvas>` the bridge's frames are drawn on, at each animation frame with the latest set.
   */
  attach(picture: HTMLVideoElement | HTMLCanvasElement | undefined, canvas: HTMLCanvasElement | undefined): void {
    if (picture === this.picture && canvas === this.canvas) return;
    this.stopFollowing();
    this.picture = picture;
    this.canvas = canvas;
    if (!picture || !canvas) return;
    if (picture instanceof HTMLVideoElement) {
      if ('requestVideoFrameCallback' in picture) this.frameRequest = picture.requestVideoFrameCallback(this.onFrame);
    } else {
      this.animationRequest = requestAnimationFrame(this.onAnimationFrame);
    }
  }

  /**
   * The set for a frame with this RTP timestamp: the closest one at or before it, on a 32-bit
   * clock that wraps; of two for the same frame the later one (a producer's correction).
   */
  pick(rtpTimestamp: number | undefined, now = performance.now()): DetectionsMessage | undefined {
    if (rtpTimestamp !== undefined && this.recent.length > 0) {
      let best: DetectionsMessage | undefined;
      let bestBehind = Infinity;
      for (const message of this.recent) {
        const behind = (((rtpTimestamp - message.rtpTimestamp!) % TWO_32) + TWO_32) % TWO_32;
        if (behind < TWO_32 / 2 && behind <= bestBehind) {
          best = message;
          bestBehind = behind;
        }
      }
      return best && bestBehind <= STALE_TICKS ? best : undefined;
    }
    return this.latest && now - this.latest.at <= STALE_MS ? this.latest.message : undefined;
  }

  private readonly onFrame = (now: number, metadata: VideoFrameCallbackMetadata): void => {
    const video = this.picture;
    if (!(video instanceof HTMLVideoElement)) return;
    this.frameRequest = video.requestVideoFrameCallback(this.onFrame);
    this.show(this.filter(this.pick(metadata.rtpTimestamp, now)?.boxes), metadata.rtpTimestamp);
  };

  private readonly onAnimationFrame = (now: number): void => {
    this.animationRequest = requestAnimationFrame(this.onAnimationFrame);
    this.show(this.filter(this.pick(undefined, now)?.boxes), undefined);
  };

  /** What of a set is drawn: nothing while hidden, else the boxes the label and confidence filters let through. */
  filter(boxes: readonly Box[] | undefined): readonly Box[] {
    if (this.hidden || !boxes) return NONE;
    if (this.labels.length === 0 && this.minConfidence <= 0) return boxes;
    const kept = boxes.filter((box) => box.confidence >= this.minConfidence && (this.labels.length === 0 || this.labels.includes(box.label)));
    // The same array while the same boxes pass, so a steady picture is not redrawn.
    return kept.length === boxes.length ? boxes : kept.length === 0 ? NONE : kept;
  }

  private stopFollowing(): void {
    if (this.picture instanceof HTMLVideoElement && this.frameRequest !== undefined) this.picture.cancelVideoFrameCallback(this.frameRequest);
    if (this.animationRequest !== undefined) cancelAnimationFrame(this.animationRequest);
    this.frameRequest = undefined;
    this.animationRequest = undefined;
    this.drawnFor = undefined;
  }

  private show(boxes: readonly Box[], frame: number | undefined): void {
    const changed = boxes !== this.drawn;
    this.drawn = boxes;
    this.drawnFor = frame;
    const canvas = this.canvas;
    const picture = this.picture;
    if (!canvas || !picture) return;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * ratio);
    const height = Math.round(canvas.clientHeight * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const context = canvas.getContext('2d');
    if (!context) return;
    context.clearRect(0, 0, width, height);
    if (changed) canvas.setAttribute('aria-label', describe(boxes));
    // The video's own size: a canvas the frames are drawn on takes each frame's size.
    const [videoWidth, videoHeight] = picture instanceof HTMLVideoElement ? [picture.videoWidth, picture.videoHeight] : [picture.width, picture.height];
    if (boxes.length === 0 || !videoWidth || !videoHeight) return;
    // The picture inside the element, as object-fit: contain places it.
    const scale = Math.min(width / videoWidth, height / videoHeight);
    const shownWidth = videoWidth * scale;
    const shownHeight = videoHeight * scale;
    const left = (width - shownWidth) / 2;
    const top = (height - shownHeight) / 2;
    const font = Math.max(11, Math.round(13 * ratio));
    context.lineWidth = Math.max(2, Math.round(2 * ratio));
    context.font = `${font}px system-ui, sans-serif`;
    context.textBaseline = 'top';
    for (const box of boxes) {
      const x = left + box.x * shownWidth;
      const y = top + box.y * shownHeight;
      const colour = colourOf(box.label);
      context.strokeStyle = colour;
      context.strokeRect(x, y, box.w * shownWidth, box.h * shownHeight);
      const label = caption(box);
      const labelWidth = context.measureText(label).width + 8;
      const labelTop = y >= font + 4 ? y - font - 4 : y;
      context.fillStyle = colour;
      context.fillRect(x, labelTop, labelWidth, font + 4);
      context.fillStyle = '#000';
      context.fillText(label, x + 4, labelTop + 2);
    }
  }
}

function describe(boxes: readonly Box[]): string {
  if (boxes.length === 0) return 'No detections';
  return `${boxes.length} detection${boxes.length === 1 ? '' : 's'}: ${boxes.map(caption).join(', ')}`;
}

/** `person #7 87% (adult)`: label, tracking id, confidence, sub-label. */
function caption(box: Box): string {
  const track = box.trackId === undefined ? '' : ` #${box.trackId}`;
  const sub = box.sublabel === undefined ? '' : ` (${box.sublabel})`;
  return `${box.label}${track} ${Math.round(box.confidence * 100)}%${sub}`;
}

/** A steady, bright colour for each label, so the same class keeps its colour. */
function colourOf(label: string): string {
  let hash = 0;
  for (const char of label) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 90% 55%)`;
}
