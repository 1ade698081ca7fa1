// Which frame a set of detections belongs to, as its producer knows it: the one shape every reader
// fills (detection-message.ts, hailo-json.ts) and the frame clock maps to the encoder's RTP timestamp.

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
