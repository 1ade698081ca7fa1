// One frame's detections as every reader hands them on, whatever shape they came in (Pigeon's own
// lines, Hailo's HailoROI JSON), with what is known of the frame they were computed on.
import type { Box } from '../../src/signal/index.ts';

/**
 * Which frame a set belongs to, as far as its producer knows. Only `rtpTimestamp` is on the
 * viewers' clock; the rest is the producer's identity for the frame, for a clock that maps it.
 */
export interface FrameRef {
  /** The encoder's RTP timestamp of the frame (90 kHz). */
  rtpTimestamp?: number;
  /** The GStreamer buffer's PTS, in ns. */
  pts?: number;
  /** The buffer's offset: frames counted from the start of the producer's stream (Hailo's `buffer_offset`). */
  offset?: number;
  /** The producer's wall clock when it wrote the set, ms since 1970 (Hailo's `timestamp (ms)`). */
  wallMs?: number;
}

export interface DetectionSet {
  boxes: Box[];
  frame: FrameRef;
}
