import type { VideoCodec } from '../webrtc/viewer-peer.ts';

/*
 * The encoder's latest keyframe, kept for a moment. The agent asks for a keyframe as soon as it
 * has a viewer's answer; the keyframe is made while ICE and DTLS come up, and lands here if it
 * arrives before the viewer can take it. When the viewer's connection is up it gets the keyframe
 * and what followed at once, instead of waiting for another one to be made (up to a frame
 * interval, plus encoding). Only a fresh one is handed out, so nobody starts on stale video.
 */

/** Where the RTP payload starts (after CSRCs and a header extension), or -1 if the packet is cut short. */
function payloadStart(packet: Buffer): number {
  if (packet.length < 12) return -1;
  let offset = 12 + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return -1;
    offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  }
  return offset < packet.length ? offset : -1;
}

/** The NAL unit types in an H.264 RTP payload (RFC 6184: single NAL, each of a STAP-A, an FU-A's start). */
function h264Types(payload: Buffer): number[] {
  const type = payload[0]! & 0x1f;
  if (type >= 1 && type <= 23) return [type];
  if (type === 28) return payload.length > 1 && payload[1]! & 0x80 ? [payload[1]! & 0x1f] : [];
  if (type !== 24) return [];
  // STAP-A: each NAL unit behind its 2-byte size (x264 puts its delimiter, SPS and PPS in one).
  const types: number[] = [];
  for (let offset = 1; offset + 2 < payload.length; offset += 2 + payload.readUInt16BE(offset)) types.push(payload[offset + 2]! & 0x1f);
  return types;
}

/** True when a VP8 RTP payload (RFC 7741) starts a key frame. */
function vp8StartsKeyframe(payload: Buffer): boolean {
  const first = payload[0]!;
  // S: start of a partition; PID 0: the first one, which holds the frame header.
  if (!(first & 0x10) || (first & 0x07) !== 0) return false;
  let offset = 1;
  if (first & 0x80) {
    const ext = payload[offset++] ?? 0;
    if (ext & 0x80) offset += (payload[offset] ?? 0) & 0x80 ? 2 : 1; // picture id, 7 or 15 bits
    if (ext & 0x40) offset += 1; // TL0PICIDX
    if (ext & 0x30) offset += 1; // TID / KEYIDX
  }
  // The frame header's first bit is 0 for a key frame.
  return offset < payload.length && (payload[offset]! & 0x01) === 0;
}

/** True when `packet` carries the start of a keyframe of `codec` (for H.264: an SPS or an IDR slice). */
export function hasKeyframe(codec: VideoCodec, packet: Buffer): boolean {
  const start = payloadStart(packet);
  if (start < 0) return false;
  const payload = packet.subarray(start);
  if (codec === 'VP8') return vp8StartsKeyframe(payload);
  return h264Types(payload).some((type) => type === 7 || type === 5);
}

// A keyframe older than this is not handed out: the viewer should start on what is live.
const FRESH_MS = 200;
// Enough for a large keyframe and the frames after it within FRESH_MS.
const MAX_PACKETS = 512;

export class KeyframeCache {
  private packets: Buffer[] = [];
  private startedAt = 0;
  /** The RTP timestamp of the cached keyframe, while one is cached. */
  private timestamp: number | undefined;
  /** The packets of the frame now arriving: its keyframe data may come after a delimiter. */
  private frame: Buffer[] = [];
  private frameTimestamp: number | undefined;

  constructor(private readonly codec: VideoCodec) {}

  /** Every packet of the codec's encoder, in order. */
  push(packet: Buffer, now = Date.now()): void {
    if (packet.length < 12) return;
    const timestamp = packet.readUInt32BE(4);
    if (timestamp !== this.frameTimestamp) {
      this.frame = [];
      this.frameTimestamp = timestamp;
    }
    this.frame.push(packet);
    if (timestamp !== this.timestamp && hasKeyframe(this.codec, packet)) {
      // The keyframe starts with its frame's first packet, already seen.
      this.packets = [...this.frame];
      this.startedAt = now;
      this.timestamp = timestamp;
      return;
    }
    if (this.timestamp === undefined) return;
    if (now - this.startedAt > FRESH_MS || this.packets.length >= MAX_PACKETS) {
      this.packets = [];
      this.timestamp = undefined;
      return;
    }
    this.packets.push(packet);
  }

  /** The latest keyframe and what followed it, if it began within the last 200 ms. */
  fresh(now = Date.now()): readonly Buffer[] | undefined {
    return this.timestamp !== undefined && now - this.startedAt <= FRESH_MS && this.packets.length > 0 ? this.packets : undefined;
  }
}
