/**
 * What the agent and a viewer say to each other on the 'pigeon' data channel once connected:
 * small JSON messages with a type and a protocol version `v`. Unknown types are tolerated (a
 * newer peer may add some); malformed or oversize messages are refused with a ProtocolError,
 * which the receiver answers with an `error` message and otherwise ignores. Pure: no DOM, no Node.
 * Documented with an example of each message in docs/protocol.md.
 */
import { PigeonError } from './pigeon-error.ts';

export const PROTOCOL_VERSION = 1;
/** Longer messages (in UTF-16 characters, as JSON text is) are refused unread: nothing here needs more. */
export const MAX_MESSAGE_CHARS = 16 * 1024;

/** What the encoder makes now. */
export interface StreamSettings {
  width: number;
  height: number;
  fps: number;
  /** kbit/s */
  bitrate: number;
}

/** What a viewer may ask for with `set`; the agent's options decide. */
export interface StreamLimits {
  minBitrate: number;
  maxBitrate: number;
  maxWidth: number;
  maxHeight: number;
  maxFps: number;
}

/** A detection in coordinates relative to the frame (0..1), as a Hailo post-process gives them. */
export interface Box {
  label: string;
  confidence: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** The network's class number, when the detector gives one (Hailo's `class_id`; never -1). */
  classId?: number;
  /** The tracker's id for this object, the same across frames (Hailo's `HailoUniqueID`). */
  trackId?: number;
  /** What a second network says about the box (Hailo's nested `HailoClassification` labels). */
  sublabel?: string;
}

export type AgentMessage =
  | { v: 1; type: 'hello'; agent: string; viewer: number; settings: StreamSettings; limits: StreamLimits }
  | { v: 1; type: 'telemetry'; fps: number; kbps: number; viewers: number; cpu: number; tempC?: number }
  | { v: 1; type: 'detections'; boxes: Box[]; rtpTimestamp?: number; time?: number }
  | { v: 1; type: 'settings'; settings: StreamSettings; by?: number }
  | { v: 1; type: 'signal'; blob: string }
  | { v: 1; type: 'error'; code: string; message: string }
  | { v: 1; type: 'bye'; reason: string };

export type ViewerMessage =
  | { v: 1; type: 'keyframe' }
  | { v: 1; type: 'set'; bitrate?: number; width?: number; height?: number; fps?: number }
  | { v: 1; type: 'signal'; blob: string }
  | { v: 1; type: 'error'; code: string; message: string }
  | { v: 1; type: 'bye'; reason: string };

/** A message of a type this version does not know: kept, so a newer peer is not an error. */
export interface UnknownMessage {
  v: number;
  type: 'unknown';
  name: string;
}

export type ProtocolErrorCode = 'E_MSG_TOO_LARGE' | 'E_MSG_NOT_JSON' | 'E_MSG_MALFORMED' | 'E_MSG_VERSION';

export class ProtocolError extends PigeonError<ProtocolErrorCode> {
  override readonly name = 'ProtocolError';
}

type Fields = Record<string, unknown>;
type Check = (value: unknown) => boolean;

const num: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const int: Check = (value) => Number.isInteger(value);
const str: Check = (value) => typeof value === 'string';
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
const record =
  (shape: Record<string, Check>): Check =>
  (value) =>
    typeof value === 'object' && value !== null && Object.entries(shape).every(([key, check]) => check((value as Fields)[key]));
const unit: Check = (value) => num(value) && (value as number) >= 0 && (value as number) <= 1;
const label: Check = (v) => str(v) && (v as string).length <= 64;
const count: Check = (v) => int(v) && (v as number) >= 0;
const box = record({ label, confidence: unit, x: unit, y: unit, w: unit, h: unit, classId: optional(count), trackId: optional(count), sublabel: optional(label) });
const boxes: Check = (v) => Array.isArray(v) && v.length <= 256 && v.every(box);

/** Whether a value is a `detections` message's `boxes` as the protocol checks them, for producers of sets larger than one message. */
export function isBoxList(value: unknown): value is Box[] {
  return boxes(value);
}
const settings = record({ width: int, height: int, fps: num, bitrate: num });
const limits = record({ minBitrate: num, maxBitrate: num, maxWidth: int, maxHeight: int, maxFps: num });
const blob: Check = (value) => str(value) && (value as string).length <= 4096;
const reason: Check = (value) => str(value) && (value as string).length <= 200;

const AGENT: Record<AgentMessage['type'], Record<string, Check>> = {
  hello: { agent: str, viewer: int, settings, limits },
  telemetry: { fps: num, kbps: num, viewers: int, cpu: num, tempC: optional(num) },
  detections: { boxes, rtpTimestamp: optional(int), time: optional(num) },
  settings: { settings, by: optional(int) },
  signal: { blob },
  error: { code: str, message: str },
  bye: { reason },
};

const VIEWER: Record<ViewerMessage['type'], Record<string, Check>> = {
  keyframe: {},
  set: { bitrate: optional(num), width: optional(int), height: optional(int), fps: optional(num) },
  signal: { blob },
  error: { code: str, message: str },
  bye: { reason },
};

function parse<T>(text: string, shapes: Record<string, Record<string, Check>>): T | UnknownMessage {
  if (text.length > MAX_MESSAGE_CHARS) throw new ProtocolError('E_MSG_TOO_LARGE', `message of ${text.length} characters (at most ${MAX_MESSAGE_CHARS})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('E_MSG_NOT_JSON', 'message is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('E_MSG_MALFORMED', 'message is not a JSON object');
  const { v, type } = value as Fields;
  if (typeof type !== 'string') throw new ProtocolError('E_MSG_MALFORMED', 'message has no "type"');
  if (!int(v) || (v as number) < 1) throw new ProtocolError('E_MSG_MALFORMED', `message "${type}" has no protocol version "v"`);
  if ((v as number) > PROTOCOL_VERSION) throw new ProtocolError('E_MSG_VERSION', `message "${type}" is protocol version ${String(v)}; this side speaks ${PROTOCOL_VERSION}`);
  const shape = Object.hasOwn(shapes, type) ? shapes[type] : undefined;
  if (!shape) return { v: v as number, type: 'unknown', name: type };
  for (const [key, check] of Object.entries(shape)) {
    if (!check((value as Fields)[key])) throw new ProtocolError('E_MSG_MALFORMED', `message "${type}" has a bad "${key}"`);
  }
  return value as T;
}

/** A message from the agent, as a viewer reads it. Throws ProtocolError. */
export function parseAgentMessage(text: string): AgentMessage | UnknownMessage {
  return parse<AgentMessage>(text, AGENT);
}

/** A message from a viewer, as the agent reads it. Throws ProtocolError. */
export function parseViewerMessage(text: string): ViewerMessage | UnknownMessage {
  return parse<ViewerMessage>(text, VIEWER);
}

/** JSON for the wire. Throws ProtocolError when it would be over the size cap. */
export function encodeMessage(message: AgentMessage | ViewerMessage): string {
  const text = JSON.stringify(message);
  if (text.length > MAX_MESSAGE_CHARS) throw new ProtocolError('E_MSG_TOO_LARGE', `message "${message.type}" would be ${text.length} characters`);
  return text;
}
