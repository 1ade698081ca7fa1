import type { VideoCodecName } from '@pigeon/bridge-wire';
import { h264AccessUnit, hasIdr, vp8Frame } from './index.ts';
import type { RtpView } from './rtp.ts';

/** What the assembler reads of an RTP packet, as readRtp gives it. */
export type RtpPacket = Pick<RtpView, 'sequenceNumber' | 'timestamp' | 'marker' | 'payload'>;

/** A whole frame, as a decoder takes it. */
export interface AssembledFrame {
  keyframe: boolean;
  /** Frames were lost or skipped since the last one handed out. */
  discontinuity: boolean;
  rtpTimestamp: number;
  /** The RTP timestamp unwrapped (it wraps every ~13 h at 90 kHz), in µs since the first frame. */
  timestampUs: number;
  data: Buffer;
}

/**
 * `lost`: a frame was missing a packet. `need-keyframe`: a whole frame came but cannot be decoded
 * without a keyframe first (the start, when the Pi's keyframe went by before the first packet got
 * through). Either way the owner asks the Pi for a keyframe.
 */
export type Assembled = { kind: 'frame'; frame: AssembledFrame } | { kind: 'lost' } | { kind: 'need-keyframe' };

const CLOCK_RATE = 90_000;

/**
 * RTP packets in, whole frames out: one H.264 access unit (Annex B, the SPS/PPS of the STAP-A
 * in front of an IDR) or one VP8 frame per RTP timestamp, handed out at its marker bit. A frame
 * missing a packet is dropped, and so is everything after it until a keyframe, since a decoder
 * given a broken reference shows garbage or stops; each such loss is reported once, for the
 * owner to ask the Pi for a keyframe. Packets that arrive late (older than the newest) are
 * ignored: NACK retransmits and loopback reordering are both rare, and a keyframe is
 * the cure either way.
 */
export class FrameAssembler {
  private packets: RtpPacket[] = [];
  private lastSequence: number | undefined;
  private broken = false;
  /** Nothing decodes before a keyframe: the start, and after each loss. */
  private waitingForKeyframe = true;
  private skipped = false;
  private firstTimestamp: number | undefined;
  private lastTimestamp = 0;
  private unwrapped = 0;

  constructor(private readonly codec: VideoCodecName) {}

  push(packet: RtpPacket): Assembled | undefined {
    const { sequenceNumber, timestamp, marker } = packet;
    let lost = false;
    if (this.lastSequence !== undefined) {
      const step = (sequenceNumber - this.lastSequence) & 0xffff;
      if (step === 0 || step >= 0x8000) return undefined;
      if (step > 1) lost = true;
    }
    this.lastSequence = sequenceNumber;
    const current = this.packets[0];
    // A new timestamp before the old frame's marker: its last packet went missing.
    if (current !== undefined && current.timestamp !== timestamp) {
      lost = true;
      this.packets = [];
    }
    if (lost) this.broken = true;
    this.packets.push(packet);
    if (!marker) return undefined;
    const packets = this.packets;
    const broken = this.broken;
    this.packets = [];
    this.broken = false;
    if (broken) {
      this.waitingForKeyframe = true;
      this.skipped = true;
      return { kind: 'lost' };
    }
    const { data, keyframe } = this.depacketize(packets.map((p) => p.payload));
    if (this.waitingForKeyframe && !keyframe) {
      this.skipped = true;
      return { kind: 'need-keyframe' };
    }
    this.waitingForKeyframe = false;
    const discontinuity = this.skipped;
    this.skipped = false;
    return { kind: 'frame', frame: { keyframe, discontinuity, rtpTimestamp: timestamp, timestampUs: this.presentationTime(timestamp), data } };
  }

  private depacketize(payloads: Buffer[]): { data: Buffer; keyframe: boolean } {
    if (this.codec === 'VP8') return vp8Frame(payloads);
    const data = h264AccessUnit(payloads);
    return { data, keyframe: hasIdr(data) };
  }

  /** After the page missed frames of its own (a reload, a full socket): wait for a keyframe. */
  restart(): void {
    this.waitingForKeyframe = true;
    this.skipped = true;
  }

  private presentationTime(timestamp: number): number {
    if (this.firstTimestamp === undefined) {
      this.firstTimestamp = timestamp;
      this.lastTimestamp = timestamp;
    }
    let step = (timestamp - this.lastTimestamp) >>> 0;
    if (step >= 2 ** 31) step -= 2 ** 32;
    this.lastTimestamp = timestamp;
    this.unwrapped += step;
    return Math.round((this.unwrapped * 1_000_000) / CLOCK_RATE);
  }
}
