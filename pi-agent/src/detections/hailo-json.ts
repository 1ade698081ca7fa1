// Hailo's JSON for one frame, as TAPPAS' export elements write it (hailoexportfile, hailoexportzmq;
// the shape is built by core/hailo/plugins/export/encode_json.hpp in hailo-ai/tappas):
//
//   {"HailoROI":{"HailoBBox":{xmin,ymin,width,height},"SubObjects":[
//      {"HailoDetection":{"label","class_id","confidence","HailoBBox":{…},"SubObjects":[
//         {"HailoUniqueID":{"unique_id","mode"}}, {"HailoClassification":{"label","classification_type","class_id","confidence"}}, …]}}]},
//    "timestamp (ms)":…, "buffer_offset":…, "stream_id":…}
//
// Every box is relative to the box it sits in (the ROI's, for the frame's detections: 0,0,1,1 for
// the whole frame), so nested detections — a face found inside a person — are placed on the frame
// here. A tracker's HailoUniqueID becomes the box's `trackId`, classifications its `sublabel`;
// landmarks, masks, matrices and tiles are left out. `class_id` -1 means unset (NULL_CLASS_ID).
import type { Box } from '@pigeon/signal';
import type { DetectionSet } from './detection-set.ts';
import type { FrameRef } from './frame-ref.ts';
import { DetectionError } from '../core/errors.ts';

/** As many boxes as one protocol message may carry; the rest of a frame's are dropped. */
export const MAX_BOXES = 256;
/** Detections inside detections, at most this deep: a cascade of networks, not a recursion bomb. */
const MAX_DEPTH = 4;
const MAX_LABEL = 64;

type Json = Record<string, unknown>;

interface Area {
  x: number;
  y: number;
  w: number;
  h: number;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const clamp = (value: number): number => Math.min(1, Math.max(0, value));
/** A millionth of the frame is finer than any pixel; fewer digits keep the messages small. */
const fine = (value: number): number => Math.round(value * 1e6) / 1e6;

function bad(reason: string): never {
  throw new DetectionError('E_DETECTIONS', reason);
}

/** Whether a parsed JSON value is Hailo's shape rather than Pigeon's. */
export function isHailoRoi(value: unknown): value is Json {
  return isObject(value) && 'HailoROI' in value;
}

/** One frame's HailoROI message as a set. Throws DetectionError (E_DETECTIONS) with the reason. */
export function decodeHailoRoi(value: Json): DetectionSet {
  const roi = value.HailoROI;
  if (!isObject(roi)) bad('"HailoROI" is not an object');
  const area = roi.HailoBBox === undefined ? { x: 0, y: 0, w: 1, h: 1 } : bbox(roi.HailoBBox, 'HailoROI');
  const boxes: Box[] = [];
  collect(roi, area, boxes, 0);
  return { boxes, frame: frameOf(value) };
}

function frameOf(value: Json): FrameRef {
  const frame: FrameRef = {};
  const offset = value.buffer_offset;
  if (offset !== undefined) {
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) bad('"buffer_offset" is not a frame count');
    frame.offset = offset as number;
  }
  const wallMs = value['timestamp (ms)'];
  if (wallMs !== undefined) {
    if (!finite(wallMs)) bad('"timestamp (ms)" is not a number');
    frame.wallMs = wallMs;
  }
  return frame;
}

function bbox(value: unknown, where: string): Area {
  if (!isObject(value)) bad(`${where} has no "HailoBBox"`);
  const { xmin, ymin, width, height } = value;
  if (!finite(xmin) || !finite(ymin) || !finite(width) || !finite(height)) bad(`${where}'s "HailoBBox" needs numbers xmin, ymin, width, height`);
  if (width < 0 || height < 0) bad(`${where}'s "HailoBBox" has a negative size`);
  return { x: xmin, y: ymin, w: width, h: height };
}

function subObjects(parent: Json, where: string): unknown[] {
  const list = parent.SubObjects;
  if (list === undefined) return [];
  if (!Array.isArray(list)) bad(`${where}'s "SubObjects" is not an array`);
  return list;
}

function collect(parent: Json, area: Area, boxes: Box[], depth: number): void {
  for (const object of subObjects(parent, depth === 0 ? 'HailoROI' : 'a HailoDetection')) {
    if (!isObject(object) || !isObject(object.HailoDetection)) continue;
    if (boxes.length >= MAX_BOXES) return;
    const detection = object.HailoDetection;
    const own = bbox(detection.HailoBBox, 'a HailoDetection');
    // Relative to the parent's box, as TAPPAS scales sub-objects.
    const placed = { x: area.x + own.x * area.w, y: area.y + own.y * area.h, w: own.w * area.w, h: own.h * area.h };
    boxes.push(boxOf(detection, placed));
    if (depth + 1 < MAX_DEPTH) collect(detection, placed, boxes, depth + 1);
  }
}

function boxOf(detection: Json, area: Area): Box {
  const { label, class_id: classId, confidence } = detection;
  if (typeof label !== 'string') bad('a HailoDetection has no "label"');
  if (!finite(confidence)) bad(`HailoDetection "${label.slice(0, MAX_LABEL)}" has no "confidence"`);
  if (classId !== undefined && !Number.isInteger(classId)) bad(`HailoDetection "${label.slice(0, MAX_LABEL)}" has a bad "class_id"`);
  // On the frame: a box hanging over an edge is cut at it.
  const x = clamp(area.x);
  const y = clamp(area.y);
  const w = fine(clamp(area.x + area.w) - x);
  const h = fine(clamp(area.y + area.h) - y);
  const box: Box = { label: label.slice(0, MAX_LABEL), confidence: fine(clamp(confidence)), x: fine(x), y: fine(y), w, h };
  if (typeof classId === 'number' && classId >= 0) box.classId = classId;
  const sublabels: string[] = [];
  for (const object of subObjects(detection, `HailoDetection "${box.label}"`)) {
    if (!isObject(object)) continue;
    const id = object.HailoUniqueID;
    if (isObject(id) && Number.isSafeInteger(id.unique_id) && (id.unique_id as number) >= 0) box.trackId = id.unique_id as number;
    const classification = object.HailoClassification;
    if (isObject(classification) && typeof classification.label === 'string' && classification.label !== '') sublabels.push(classification.label);
  }
  if (sublabels.length > 0) box.sublabel = sublabels.join(', ').slice(0, MAX_LABEL);
  return box;
}
