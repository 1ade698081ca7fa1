// One frame's detections as every reader hands them on, whatever shape they came in (Pigeon's own
// lines, Hailo's HailoROI JSON), with what is known of the frame they were computed on.
import type { Box } from '@pigeon/signal';
import type { FrameRef } from './frame-ref.ts';

export interface DetectionSet {
  boxes: Box[];
  frame: FrameRef;
}
