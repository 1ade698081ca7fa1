/**
 * One encoded video frame from the bridge to a page: one binary WebSocket message, a 20-byte
 * header (big-endian) and the frame as the decoder takes it. Pure: the bridge encodes, the page
 * decodes. Layout (docs/bridge.md):
 *
 *   0  u8   header version (1)
 *   1  u8   codec: 1 = H.264 access unit in Annex B (SPS/PPS in front of each IDR), 2 = VP8 frame
 *   2  u8   flags: bit 0 keyframe, bit 1 frames were lost or skipped just before this one
 *   3  u8   header length in bytes (20): a page skips what a later version adds
 *   4  u32  RTP timestamp, as the Pi sent it (90 kHz)
 *   8  f64  presentation time in µs: the RTP timestamp unwrapped, from this viewer's first frame
 *   16 u32  frame number: counts the frames this viewer was sent, from 0
 *   20 …    the frame
 */
import { BridgeError } from './errors.ts';
import type { VideoCodecName } from './protocol.ts';

export const FRAME_HEADER_VERSION = 1;
export const FRAME_HEADER_BYTES = 20;

const CODEC_IDS: Record<VideoCodecName, number> = { H264: 1, VP8: 2 };
const KEYFRAME = 1;
const DISCONTINUITY = 2;

export interface BridgeFrame {
  codec: VideoCodecName;
  keyframe: boolean;
  /** Frames were lost or skipped just before this one. */
  discontinuity: boolean;
  rtpTimestamp: number;
  timestampUs: number;
  frameNumber: number;
  data: Uint8Array;
}

export function encodeVideoFrame(frame: BridgeFrame): Uint8Array {
  const bytes = new Uint8Array(FRAME_HEADER_BYTES + frame.data.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, FRAME_HEADER_VERSION);
  view.setUint8(1, CODEC_IDS[frame.codec]);
  view.setUint8(2, (frame.keyframe ? KEYFRAME : 0) | (frame.discontinuity ? DISCONTINUITY : 0));
  view.setUint8(3, FRAME_HEADER_BYTES);
  view.setUint32(4, frame.rtpTimestamp >>> 0);
  view.setFloat64(8, frame.timestampUs);
  view.setUint32(16, frame.frameNumber >>> 0);
  bytes.set(frame.data, FRAME_HEADER_BYTES);
  return bytes;
}

/** Reads a frame message; `data` is a view into `bytes`, not a copy. Throws E_BRIDGE_FRAME. */
export function decodeVideoFrame(bytes: Uint8Array): BridgeFrame {
  if (bytes.length < 4) throw new BridgeError('E_BRIDGE_FRAME', `a video message of ${bytes.length} bytes: shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== FRAME_HEADER_VERSION) throw new BridgeError('E_BRIDGE_FRAME', `a video message with header version ${version}; this page reads ${FRAME_HEADER_VERSION}`);
  const headerBytes = view.getUint8(3);
  if (headerBytes < FRAME_HEADER_BYTES || bytes.length < headerBytes) {
    throw new BridgeError('E_BRIDGE_FRAME', `a video message with a ${headerBytes}-byte header in ${bytes.length} bytes`);
  }
  const codecId = view.getUint8(1);
  const codec = (Object.keys(CODEC_IDS) as VideoCodecName[]).find((name) => CODEC_IDS[name] === codecId);
  if (codec === undefined) throw new BridgeError('E_BRIDGE_FRAME', `a video message with unknown codec ${codecId}`);
  const flags = view.getUint8(2);
  return {
    codec,
    keyframe: (flags & KEYFRAME) !== 0,
    discontinuity: (flags & DISCONTINUITY) !== 0,
    rtpTimestamp: view.getUint32(4),
    timestampUs: view.getFloat64(8),
    frameNumber: view.getUint32(16),
    data: bytes.subarray(headerBytes),
  };
}
