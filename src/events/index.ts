import type { Box, DecodedBlob, StreamSettings } from '../signal/index.ts';
import type { ViewerErrorDetail } from './viewer-error.ts';

export { CONNECTION_MESSAGES, ConnectionError, viewerErrorOf } from './viewer-error.ts';
export type { ConnectionErrorCode, ViewerErrorDetail } from './viewer-error.ts';

/**
 * Typed events that Pigeon elements dispatch. Each is declared once here; `answer`, `connected`
 * and `stats` bubble and cross shadow roots, so a page can listen on any ancestor.
 */

/**
 * What a viewer's `answer` and `offer` events carry: a blob to hand to the Pi. The detail is the
 * codec's EncodedBlob itself, so whoever shows it (a QR code, the text) needs no decoding.
 */
export interface BlobDetail {
  /** `pigeon:…`, to paste into the Pi agent. */
  text: string;
  /** The frame bytes, for a binary QR code. */
  bytes: Uint8Array;
  /** The offer's id (for an answer: the id of the offer it answers). */
  offerId: number | undefined;
}
export type AnswerDetail = BlobDetail;
export type OfferDetail = BlobDetail;

/** One getStats sample of the incoming video. Missing numbers are `null`. */
export interface ViewerStats {
  /** The decoded picture's size, pixels. */
  width: number | null;
  height: number | null;
  /** Frames decoded per second. */
  fps: number | null;
  /** Received video bitrate over the last sample, kbit/s. */
  kbps: number | null;
  /** Round trip time of the selected candidate pair, ms. */
  rttMs: number | null;
  /** Video packets lost so far. */
  packetsLost: number | null;
  /** Video frames decoded so far. */
  framesDecoded: number | null;
}

/** The agent's own report, about once a second over the data channel. */
export interface TelemetryDetail {
  /** Frames per second the pipeline makes. */
  fps: number;
  /** Encoder bitrate, kbit/s. */
  kbps: number;
  /** Viewers connected to the agent, this one included. */
  viewers: number;
  /** Agent CPU, percent of one core. */
  cpu: number;
  /** SoC temperature in °C, where the agent can read it. */
  tempC?: number;
}

/** What the encoder makes now, and which viewer asked for it. */
export interface SettingsDetail {
  /** The encoder's settings from now on. */
  settings: StreamSettings;
  /** The viewer number (from the agent's hello) that asked; absent when the agent's own. */
  by?: number;
  /** True when this viewer asked for it. */
  mine: boolean;
}

/** One set of the agent's detections, as it arrived (before the viewer's own label and confidence filter). */
export interface DetectionsDetail {
  /** Boxes relative to the frame (0..1), with label, confidence and, where the detector gives them, classId, trackId, sublabel. */
  boxes: Box[];
  /** The frame's RTP timestamp on this viewer's clock, when the agent knows it. */
  rtpTimestamp?: number;
  /** The agent's wall clock when it sent the set, ms since 1970. */
  time?: number;
}

/**
 * A message one side refused from the other, said rather than only logged: the refusing side
 * answers with the code (the agent with an `error` message, this viewer with one of its own).
 */
export interface RefusalDetail {
  /**
   * Who refused: `agent` (a message of this viewer's: a reconnect offer, a request), `viewer`
   * (one of the agent's this viewer could not read or use), `bridge` (a request of this page's).
   */
  by: 'agent' | 'viewer' | 'bridge';
  code: string;
  message: string;
}

function make<T>(type: string, detail: T, bubbles = true): CustomEvent<T> {
  return new CustomEvent<T>(type, { detail, bubbles, composed: bubbles });
}

/** What `<qr-scan>`'s `scan` event carries: a Pigeon code read by the camera. */
export interface ScanDetail {
  /** The code as `pigeon:…` text, whether the QR held the bytes or the text. */
  text: string;
  /** The code as the scanner decoded it, to be used as it is rather than decoded again. */
  blob: DecodedBlob;
}

export const scanEvent = (detail: ScanDetail): CustomEvent<ScanDetail> => make('scan', detail);
export const answerEvent = (detail: AnswerDetail): CustomEvent<AnswerDetail> => make('answer', detail);
export const offerEvent = (detail: OfferDetail): CustomEvent<OfferDetail> => make('offer', detail);
export const connectedEvent = (): CustomEvent<null> => make('connected', null);
export const statsEvent = (detail: ViewerStats): CustomEvent<ViewerStats> => make('stats', detail);
export const telemetryEvent = (detail: TelemetryDetail): CustomEvent<TelemetryDetail> => make('telemetry', detail);
export const detectionsEvent = (detail: DetectionsDetail): CustomEvent<DetectionsDetail> => make('detections', detail);
export const settingsEvent = (detail: SettingsDetail): CustomEvent<SettingsDetail> => make('settings', detail);
export const refusalEvent = (detail: RefusalDetail): CustomEvent<RefusalDetail> => make('refusal', detail);
/**
 * Does not bubble: an `error` event that reached `window` would be taken for a script error by
 * `window.onerror` and by error trackers. Listen on the element itself.
 */
export const errorEvent = (detail: ViewerErrorDetail): CustomEvent<ViewerErrorDetail> => make('error', detail, false);

declare global {
  interface GlobalEventHandlersEventMap {
    answer: CustomEvent<AnswerDetail>;
    offer: CustomEvent<OfferDetail>;
    connected: CustomEvent<null>;
    stats: CustomEvent<ViewerStats>;
    telemetry: CustomEvent<TelemetryDetail>;
    settings: CustomEvent<SettingsDetail>;
    detections: CustomEvent<DetectionsDetail>;
    refusal: CustomEvent<RefusalDetail>;
    scan: CustomEvent<ScanDetail>;
  }
}

/**
 * TypeScript types every `error` listener's event as ErrorEvent (the DOM's own), so this reads a
 * viewer's error from it: `viewer.addEventListener('error', (e) => show(viewerError(e)?.message))`.
 */
export function viewerError(event: Event): ViewerErrorDetail | undefined {
  const detail: unknown = (event as Partial<CustomEvent>).detail;
  return detail && typeof detail === 'object' && 'code' in detail && 'message' in detail ? (detail as ViewerErrorDetail) : undefined;
}
