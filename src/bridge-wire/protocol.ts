/**
 * What a page and the bridge say to each other over the loopback WebSocket, as JSON text
 * messages with a type and a protocol version `v`; video goes the other way as binary messages
 * (./frame.ts). Pure: no DOM, no Node. Both sides validate what they read here, the way
 * src/signal/protocol.ts validates the data channel: malformed or oversize messages throw a
 * BridgeError, which the bridge answers with an `error` message and otherwise ignores.
 * Described with an example of each message in docs/bridge.md.
 */
import { BridgeError } from './errors.ts';

export const BRIDGE_PROTOCOL_VERSION = 1;
/** Longer text messages are refused unread: the largest (`send`) carries one data-channel message. */
export const MAX_REQUEST_CHARS = 20 * 1024;
/** A data-channel message relayed by `send`, as src/signal/protocol.ts caps it. */
export const MAX_RELAYED_CHARS = 16 * 1024;
/** A whole SDP (the bridge's offer, the Pi's answer to it): werift's and the agent's are 1–2 KB. */
export const MAX_SDP_CHARS = 16 * 1024;

export type VideoCodecName = 'H264' | 'VP8';

/**
 * One viewer's connection to the Pi, as the page is told about it:
 * `waiting` (answered, or offered; the Pi has not taken the answer or answered yet, however long
 * that takes), `connecting` (the Pi took it, or its answer was taken: ICE and DTLS under way),
 * `connected` (video and data channel),
 * `closed` (for good, with the reason).
 */
export type ViewerState = 'waiting' | 'connecting' | 'connected' | 'closed';

export type PageRequest =
  /** The Pi's offer (`pigeon:` text) to answer; `codecs` are what the page can decode, preferred first. */
  | { v: 1; type: 'accept'; offer: string; codecs?: VideoCodecName[] }
  /**
   * Offer as a browser does (a reconnect, or the page offering to `pi-agent answer`): a new viewer
   * whose werift peer receives video in `codecs` (preferred first) and opens the 'pigeon' channel.
   */
  | { v: 1; type: 'offer'; codecs?: VideoCodecName[] }
  /** The Pi's answer (a whole SDP) to this page's viewer's `offer`. */
  | { v: 1; type: 'answer'; sdp: string }
  /** Take over a viewer this or an earlier page started (a reload), with the token its `answer` or `offer` gave. */
  | { v: 1; type: 'attach'; viewer: number; token: string }
  /** Ask the Pi's encoder for a keyframe now (an RTCP PLI, as a browser would). */
  | { v: 1; type: 'keyframe' }
  /** One message for the agent on the 'pigeon' data channel, as it is. */
  | { v: 1; type: 'send'; text: string }
  /** Leave for good: `bye` to the agent, the connection closed. */
  | { v: 1; type: 'close'; reason: string };

export type BridgeMessage =
  | { v: 1; type: 'hello'; bridge: string }
  /** The answer to show: `text` to paste, `bytes` (the frame) for a binary QR. */
  | { v: 1; type: 'answer'; viewer: number; token: string; offerId: number | null; codec: VideoCodecName; text: string; bytes: number[] }
  /** The bridge's offer for the page's `offer` request, every candidate gathered: the page makes it a blob for the Pi. */
  | { v: 1; type: 'offer'; viewer: number; token: string; sdp: string }
  | { v: 1; type: 'status'; viewer: number; state: ViewerState; code?: string; reason?: string }
  /** One message from the agent on the 'pigeon' data channel, as it came. */
  | { v: 1; type: 'message'; text: string }
  | { v: 1; type: 'error'; code: string; message: string };

type Fields = Record<string, unknown>;
type Check = (value: unknown) => boolean;

const int: Check = (value) => Number.isInteger(value);
const str =
  (max: number): Check =>
  (value) =>
    typeof value === 'string' && value.length <= max;
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
const codec: Check = (value) => value === 'H264' || value === 'VP8';
const codecs: Check = (value) => Array.isArray(value) && value.length >= 1 && value.length <= 2 && value.every(codec);
const state: Check = (value) => value === 'waiting' || value === 'connecting' || value === 'connected' || value === 'closed';
const byteArray: Check = (value) => Array.isArray(value) && value.length <= 4096 && value.every((b) => int(b) && (b as number) >= 0 && (b as number) <= 255);
const viewerId: Check = (value) => int(value) && (value as number) >= 1;

const REQUESTS: Record<PageRequest['type'], Record<string, Check>> = {
  accept: { offer: str(8192), codecs: optional(codecs) },
  offer: { codecs: optional(codecs) },
  answer: { sdp: str(MAX_SDP_CHARS) },
  attach: { viewer: viewerId, token: str(64) },
  keyframe: {},
  send: { text: str(MAX_RELAYED_CHARS) },
  close: { reason: str(200) },
};

const MESSAGES: Record<BridgeMessage['type'], Record<string, Check>> = {
  hello: { bridge: str(64) },
  answer: { viewer: viewerId, token: str(64), offerId: (v) => v === null || int(v), codec, text: str(8192), bytes: byteArray },
  offer: { viewer: viewerId, token: str(64), sdp: str(MAX_SDP_CHARS) },
  status: { viewer: viewerId, state, code: optional(str(64)), reason: optional(str(400)) },
  message: { text: str(MAX_RELAYED_CHARS * 4) },
  error: { code: str(64), message: str(1000) },
};

function parse<T>(text: string, shapes: Record<string, Record<string, Check>>, what: string): T {
  if (text.length > MAX_REQUEST_CHARS * 4) throw new BridgeError('E_BRIDGE_TOO_LARGE', `${what} of ${text.length} characters (at most ${MAX_REQUEST_CHARS * 4})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BridgeError('E_BRIDGE_NOT_JSON', `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BridgeError('E_BRIDGE_MALFORMED', `${what} is not a JSON object`);
  const { v, type } = value as Fields;
  if (typeof type !== 'string') throw new BridgeError('E_BRIDGE_MALFORMED', `${what} has no "type"`);
  const name = type.slice(0, 32);
  if (!int(v) || (v as number) < 1) throw new BridgeError('E_BRIDGE_MALFORMED', `${what} "${name}" has no protocol version "v"`);
  if ((v as number) > BRIDGE_PROTOCOL_VERSION) {
    throw new BridgeError('E_BRIDGE_VERSION', `${what} "${name}" is bridge protocol version ${String(v)}; this side speaks ${BRIDGE_PROTOCOL_VERSION}`);
  }
  const shape = Object.hasOwn(shapes, type) ? shapes[type] : undefined;
  if (!shape) throw new BridgeError('E_BRIDGE_MALFORMED', `${what} has an unknown type "${name}"`);
  for (const [key, check] of Object.entries(shape)) {
    if (!check((value as Fields)[key])) throw new BridgeError('E_BRIDGE_MALFORMED', `${what} "${name}" has a bad "${key}"`);
  }
  return value as T;
}

/** A request from a page, as the bridge reads it. Throws BridgeError. */
export function parsePageRequest(text: string): PageRequest {
  if (text.length > MAX_REQUEST_CHARS) throw new BridgeError('E_BRIDGE_TOO_LARGE', `a request of ${text.length} characters (at most ${MAX_REQUEST_CHARS})`);
  return parse<PageRequest>(text, REQUESTS, 'the request');
}

/** A message from the bridge, as a page reads it. Throws BridgeError. */
export function parseBridgeMessage(text: string): BridgeMessage {
  return parse<BridgeMessage>(text, MESSAGES, "the bridge's message");
}

export function encodeBridgeJson(message: PageRequest | BridgeMessage): string {
  return JSON.stringify(message);
}
