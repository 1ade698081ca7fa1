import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { encodeVideoFrame, type BridgeMessage, type ViewerState } from '@pigeon/bridge-wire';
import { FrameAssembler } from '../depacketize/assembler.ts';
import { readRtp } from '../depacketize/rtp.ts';
import type { BridgeEvent } from '../core/events.ts';
import type { BridgePeer } from '../webrtc/peer.ts';

/** Where a viewer's messages and frames go: the page that holds it now. */
export interface PageSink {
  readonly page: number;
  json(message: BridgeMessage): void;
  /** Sends one frame; false when the page is too far behind and it was not sent. */
  frame(bytes: Uint8Array): boolean;
  /** The viewer is no longer this page's: it closed, or another page took it over. */
  released(viewer: number): void;
}

export interface ViewerEvents {
  /** Something the bridge reports (viewer-connected, stats, viewer-closed). */
  report: [event: BridgeEvent];
  /** The viewer is over for good: its peer has left, its page was told. */
  ended: [];
}

/** Keyframe requests on loss are spaced by this: the first one's keyframe is on its way. */
const LOSS_PLI_SPACING_MS = 500;
const STATS_EVERY_MS = 5000;
/** The agent's messages held until the page is told the viewer is connected (its hello, a telemetry or two). */
const MAX_HELD_MESSAGES = 64;

/**
 * One viewer of the Pi through the bridge: its peer, the frames made from its RTP, and the page
 * it reports to, which may change (a reload attaches the new page) or be missing for a while.
 */
export class Viewer extends EventEmitter<ViewerEvents> {
  readonly token = randomBytes(16).toString('base64url');
  private sink: PageSink | undefined;
  private state: ViewerState = 'waiting';
  private ending: { code: string; reason: string } | undefined;
  /** Made when the codec is known: at once when answering, at the agent's answer when offering. */
  private assembler: FrameAssembler | undefined;
  private frameNumber = 0;
  private lastLossPli = 0;
  private readonly counts = { frames: 0, bytes: 0, lost: 0, skipped: 0 };
  private statsTimer: NodeJS.Timeout | undefined;
  /**
   * The agent's messages before `connected` was reported: the page opens its channel at that
   * status, and drops what comes before. The agent says hello as soon as its side of the channel
   * is open, which can be before the engine reports this side connected: offering, the built page's
   * test lost the agent's hello that way.
   */
  private held: string[] = [];

  constructor(
    readonly id: number,
    private readonly peer: BridgePeer,
  ) {
    super();
    // The viewer owns its peer: all of the peer's wiring is here.
    peer.on('connected', () => this.connected());
    peer.on('rtp', (packet) => this.rtp(packet));
    peer.on('message', (text) => this.message(text));
    peer.on('ended', (code, reason) => void this.leave(code, reason));
  }

  get page(): number | undefined {
    return this.sink?.page;
  }

  /**
   * Reports to `sink` from now on, starting with where things stand; its video from a fresh
   * keyframe (asked for here once the video flows, else by the first frame that needs one).
   */
  attach(sink: PageSink): void {
    if (this.sink !== sink) this.sink?.released(this.id);
    this.sink = sink;
    sink.json(this.status());
    this.assembler?.restart();
    this.peer.requestKeyframe();
  }

  detach(sink: PageSink): void {
    if (this.sink === sink) this.sink = undefined;
  }

  requestKeyframe(): void {
    this.peer.requestKeyframe();
  }

  /** The agent's answer to this viewer's offer (`BridgeViewers.offer`): the Pi took the offer, ICE and DTLS follow. */
  async acceptAnswer(sdp: string): Promise<void> {
    await this.peer.acceptAnswer(sdp);
    if (this.state !== 'waiting') return;
    this.state = 'connecting';
    this.sink?.json(this.status());
  }

  send(text: string): boolean {
    return this.peer.send(text);
  }

  /** Ends this viewer for good, saying goodbye to the agent (also after the agent's own: harmless, and it closes the channel). */
  async leave(code: string, reason: string): Promise<void> {
    if (this.ending) return;
    this.ending = { code, reason };
    clearInterval(this.statsTimer);
    await this.peer.leave(reason);
    this.closed();
  }

  private message(text: string): void {
    if (this.state === 'connected') this.sink?.json({ v: 1, type: 'message', text });
    else if (this.held.length < MAX_HELD_MESSAGES) this.held.push(text);
  }

  private connected(): void {
    this.state = 'connected';
    this.sink?.json(this.status());
    for (const text of this.held.splice(0)) this.sink?.json({ v: 1, type: 'message', text });
    this.emit('report', { type: 'viewer-connected', viewer: this.id });
    this.statsTimer = setInterval(() => this.stats(), STATS_EVERY_MS);
    this.statsTimer.unref();
  }

  private rtp(wire: Buffer): void {
    const codec = this.peer.codec;
    const packet = readRtp(wire);
    if (codec === undefined || packet === undefined) return;
    this.assembler ??= new FrameAssembler(codec);
    const out = this.assembler.push(packet);
    if (out === undefined) return;
    if (out.kind !== 'frame') {
      if (out.kind === 'lost') this.counts.lost++;
      this.lossKeyframe();
      return;
    }
    if (this.sink === undefined) return this.assembler.restart();
    const { frame } = out;
    const bytes = encodeVideoFrame({ codec, ...frame, frameNumber: this.frameNumber });
    if (!this.sink.frame(bytes)) {
      this.counts.skipped++;
      this.assembler.restart();
      this.lossKeyframe();
      return;
    }
    this.frameNumber++;
    this.counts.frames++;
    this.counts.bytes += frame.data.length;
  }

  private lossKeyframe(): void {
    const now = Date.now();
    if (now - this.lastLossPli < LOSS_PLI_SPACING_MS) return;
    this.lastLossPli = now;
    this.peer.requestKeyframe();
  }

  private stats(): void {
    const { frames, bytes, lost, skipped } = this.counts;
    const seconds = STATS_EVERY_MS / 1000;
    this.emit('report', { type: 'stats', viewer: this.id, fps: Math.round((frames / seconds) * 10) / 10, kbps: Math.round((bytes * 8) / seconds / 1000), frames, lost, skipped });
    Object.assign(this.counts, { frames: 0, bytes: 0, lost: 0, skipped: 0 });
  }

  private closed(): void {
    this.state = 'closed';
    this.sink?.json(this.status());
    this.sink?.released(this.id);
    const { code, reason } = this.ending ?? { code: 'E_CLOSED', reason: 'closed' };
    this.emit('report', { type: 'viewer-closed', viewer: this.id, code, reason });
    this.emit('ended');
  }

  private status(): BridgeMessage {
    return this.state === 'closed' && this.ending
      ? { v: 1, type: 'status', viewer: this.id, state: this.state, code: this.ending.code, reason: this.ending.reason }
      : { v: 1, type: 'status', viewer: this.id, state: this.state };
  }
}
