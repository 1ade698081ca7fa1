// The agent's side of the data-channel protocol (src/signal/protocol.ts): hello, telemetry about
// once a second, detections, and what viewers ask for — a keyframe, or other quality within the
// agent's limits (every viewer is told), and a new connection offered over the channel (see
// signal()). A malformed message gets an error reply and changes nothing. It listens to the
// viewers' channel events and reports what it changed or refused as events of its own.
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import {
  ProtocolError,
  describe,
  encodeMessage,
  parseViewerMessage,
  type AgentMessage,
  type Box,
  type StreamLimits,
  type StreamSettings,
} from '@pigeon/signal';
import { refusal } from '../core/errors.ts';
import type { SessionEvent } from '../core/events.ts';
import type { ViewerPeer } from '../webrtc/viewer-peer.ts';
import type { Viewers } from './viewers.ts';

/** The stream's settings, and the rebuild of its pipeline for new ones (Camera). */
export interface Tunable {
  settings(): StreamSettings;
  applySettings(next: StreamSettings): Promise<void>;
}

export interface ControlParts {
  camera: Tunable;
  /** The encoder's rate, for telemetry (the first codec's RtpIn). */
  encoder: { stats(): { fps: number; kbps: number } };
  viewers: Viewers;
  /** What a viewer may ask for. */
  limits: StreamLimits;
}

export interface ControlEvents {
  /** Settings a viewer changed, and what a viewer asked for that was refused. */
  report: [event: SessionEvent];
}

interface SetAsk {
  bitrate?: number;
  width?: number;
  height?: number;
  fps?: number;
}

const THERMAL = '/sys/class/thermal/thermal_zone0/temp';

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

const even = (value: number): number => Math.max(16, Math.floor(value / 2) * 2);

export class Control extends EventEmitter<ControlEvents> {
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = process.cpuUsage();
  private lastAt = Date.now();
  /** The latest `set` not yet applied (one at a time; a newer one replaces it), and whether one is being applied. */
  private nextSet: { viewer: number; peer: ViewerPeer; ask: SetAsk } | undefined;
  private applying = false;

  private readonly viewers: Viewers;

  constructor(private readonly parts: ControlParts) {
    super();
    this.viewers = parts.viewers;
  }

  /** Telemetry to every viewer every `intervalMs`. */
  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.telemetry(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Tells every viewer the agent is going away, so pages say so at once instead of when ICE
   * gives up (~15 s: werift sends nothing as it closes). Waits until they arrive, 1.5 s at most.
   */
  async bye(reason: string): Promise<void> {
    const joined = this.viewers.joined();
    for (const { peer } of joined) this.send(peer, { v: 1, type: 'bye', reason });
    // Acknowledged, not just sent: a message lost once is resent a second later (see ViewerPeer.flushed).
    await Promise.all(joined.map(({ peer }) => peer.flushed(1500)));
    // Handed to DTLS and UDP asynchronously after SCTP lets go of them.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** A viewer's channel opened: it is greeted with the stream's settings and limits. */
  channelOpened(viewer: number, peer: ViewerPeer): void {
    this.send(peer, { v: 1, type: 'hello', agent: 'pi-agent', viewer, settings: this.parts.camera.settings(), limits: this.parts.limits });
  }

  /** A message from a viewer's channel: a request carried out, or refused with the reason. */
  received(viewer: number, peer: ViewerPeer, text: string): void {
    let message: ReturnType<typeof parseViewerMessage>;
    try {
      message = parseViewerMessage(text);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.refuse(viewer, peer, error.code, error.message);
      return;
    }
    switch (message.type) {
      case 'keyframe':
        this.viewers.requestKeyframes();
        return;
      case 'set':
        this.nextSet = { viewer, peer, ask: message };
        void this.applySets();
        return;
      case 'signal':
        this.signal(viewer, peer, message.blob);
        return;
      case 'bye':
        this.viewers.leave(viewer, `it said bye (${message.reason})`);
        return;
      case 'error':
      case 'unknown':
        return;
    }
  }

  /** Detections from --detections, each labelled with the frame's timestamp on that viewer's clock. */
  detections(boxes: Box[], encoderTimestamp: number | undefined): void {
    const time = Date.now();
    for (const { peer } of this.viewers.joined()) {
      const rtpTimestamp = peer.viewerTimestamp(encoderTimestamp);
      this.send(peer, { v: 1, type: 'detections', boxes, time, ...(rtpTimestamp === undefined ? {} : { rtpTimestamp }) });
    }
  }

  private async telemetry(): Promise<void> {
    const now = Date.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const percent = ((cpu.user + cpu.system) / 1000 / Math.max(1, now - this.lastAt)) * 100;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const tempC = await readFile(THERMAL, 'utf8').then(
      (text) => Number(text) / 1000,
      () => undefined,
    );
    const { fps, kbps } = this.parts.encoder.stats();
    const joined = this.viewers.joined();
    const message: AgentMessage = {
      v: 1,
      type: 'telemetry',
      fps,
      kbps,
      viewers: joined.length,
      cpu: Math.round(percent * 10) / 10,
      ...(tempC === undefined || !Number.isFinite(tempC) ? {} : { tempC }),
    };
    for (const { peer } of joined) this.send(peer, message);
  }

  /**
   * Each `set` rebuilds or retunes the pipeline, which takes a while: asks that come meanwhile are
   * not queued one behind another (a viewer sending many would hold the video up for as long as
   * they take) but replaced by the newest, which is applied next. Everyone is told what it became.
   */
  private async applySets(): Promise<void> {
    if (this.applying) return;
    this.applying = true;
    try {
      for (let next = this.nextSet; next; next = this.nextSet) {
        this.nextSet = undefined;
        const { viewer, peer, ask } = next;
        await this.set(viewer, peer, ask).catch((error: unknown) => this.refuse(viewer, peer, 'E_SET_FAILED', describe(error).message));
      }
    } finally {
      this.applying = false;
    }
  }

  private async set(viewer: number, peer: ViewerPeer, ask: SetAsk): Promise<void> {
    const now = this.parts.camera.settings();
    const { limits } = this.parts;
    const next: StreamSettings = {
      bitrate: Math.round(clamp(ask.bitrate ?? now.bitrate, limits.minBitrate, limits.maxBitrate)),
      width: even(clamp(ask.width ?? now.width, 16, limits.maxWidth)),
      height: even(clamp(ask.height ?? now.height, 16, limits.maxHeight)),
      fps: Math.round(clamp(ask.fps ?? now.fps, 1, limits.maxFps)),
    };
    if (JSON.stringify(next) === JSON.stringify(now)) {
      this.send(peer, { v: 1, type: 'settings', settings: now });
      return;
    }
    await this.parts.camera.applySettings(next);
    this.emit('report', { type: 'settings', viewer, ...next });
    for (const other of this.viewers.joined()) this.send(other.peer, { v: 1, type: 'settings', settings: next, by: viewer });
  }

  /**
   * An offer over the data channel: a new connection to take over from this viewer's current one
   * (Viewers.reconnect), answered on the same channel. Not an in-place ICE restart: werift 0.24
   * drops its path the moment it restarts ICE, and the viewer's new ICE generation then settles on
   * werift's old credentials, so consent fails 30 s later (measured). A fresh connection built
   * while the old one still plays has neither problem.
   */
  private signal(viewer: number, peer: ViewerPeer, blob: string): void {
    this.viewers.reconnect(viewer, blob).then(
      (answer) => this.send(peer, { v: 1, type: 'signal', blob: answer.text }),
      (error: unknown) => {
        const { code, reason } = refusal(error, 'E_RESIGNAL');
        this.refuse(viewer, peer, code, reason);
      },
    );
  }

  /** A message the viewer's peer refused unread (too large, a flood): said to the log and to the viewer. */
  refusedUnread(viewer: number, peer: ViewerPeer, error: unknown): void {
    const { code, reason } = refusal(error);
    this.refuse(viewer, peer, code, reason);
  }

  private refuse(viewer: number, peer: ViewerPeer, code: string, message: string): void {
    this.emit('report', { type: 'refused', code, reason: `viewer #${viewer}: ${message}` });
    this.send(peer, { v: 1, type: 'error', code, message });
  }

  private send(peer: ViewerPeer, message: AgentMessage): void {
    peer.send(encodeMessage(message));
  }
}
