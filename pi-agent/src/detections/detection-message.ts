// One message from a detections input, whichever of the two shapes it has, told apart by its keys:
//
//   Pigeon's own:  {"boxes":[{"label","confidence","x","y","w","h", classId?, trackId?, sublabel?}],
//                   "rtpTimestamp"?, "pts"? (ns), "offset"? (frames), "wallMs"? (ms since 1970)}
//   Hailo's:       {"HailoROI":{…}, "timestamp (ms)", "buffer_offset"}   (see hailo-json.ts)
//
// Anything else, or either shape with a bad field, throws a DetectionError saying what was wrong.
import { isBoxList } from '@pigeon/signal';
import type { DetectionSet } from './detection-set.ts';
import type { FrameRef } from './frame-ref.ts';
import { DetectionError } from '../core/errors.ts';
import { decodeHailoRoi, isHailoRoi } from './hailo-json.ts';

/** The most one message may be, as the agent's other inputs: longer ones are skipped unread. */
export const MAX_DETECTION_BYTES = 64 * 1024;

export function decodeDetections(text: string): DetectionSet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DetectionError('E_DETECTIONS', 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DetectionError('E_DETECTIONS', 'not a JSON object');
  if (isHailoRoi(value)) return decodeHailoRoi(value);
  if (!('boxes' in value)) throw new DetectionError('E_DETECTIONS', 'neither Pigeon\'s {"boxes":[…]} nor Hailo\'s {"HailoROI":{…}}');
  return decodePigeon(value as Record<string, unknown>);
}

function decodePigeon(value: Record<string, unknown>): DetectionSet {
  const { boxes, rtpTimestamp, pts, offset, wallMs } = value;
  // The protocol's own checks, so what is accepted here is what a viewer accepts.
  if (!isBoxList(boxes)) throw new DetectionError('E_DETECTIONS', 'it has a bad "boxes" (at most 256, each label, confidence, x, y, w, h in 0..1)');
  const frame: FrameRef = {};
  if (rtpTimestamp !== undefined) {
    if (!Number.isInteger(rtpTimestamp) || (rtpTimestamp as number) < 0 || (rtpTimestamp as number) >= 2 ** 32) throw new DetectionError('E_DETECTIONS', 'it has a bad "rtpTimestamp" (a 32-bit whole number)');
    frame.rtpTimestamp = rtpTimestamp as number;
  }
  if (pts !== undefined) {
    if (!Number.isSafeInteger(pts) || (pts as number) < 0) throw new DetectionError('E_DETECTIONS', 'it has a bad "pts" (ns, a whole number)');
    frame.pts = pts as number;
  }
  if (offset !== undefined) {
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new DetectionError('E_DETECTIONS', 'it has a bad "offset" (frames, a whole number)');
    frame.offset = offset as number;
  }
  if (wallMs !== undefined) {
    if (typeof wallMs !== 'number' || !Number.isFinite(wallMs) || wallMs < 0) throw new DetectionError('E_DETECTIONS', 'it has a bad "wallMs" (ms since 1970)');
    frame.wallMs = wallMs;
  }
  return { boxes, frame };
}
