// What the agent reports, in two forms. `SessionEvent` is what the session's parts emit and its
// renderers take: events about a blob carry the `EncodedBlob` itself, so nothing downstream decodes
// it again. `AgentEvent` is the line written for people (stderr) or, with --json, one JSON object
// per line on stdout for scripts, systemd and Tauri: a public contract whose fields stay put
// (json-line.ts turns the one into the other where the line is written).
import type { QrMatrix } from '@pigeon/qr';
import type { EncodedBlob } from '@pigeon/signal';

/** Events that concern no blob: the same as session events and as lines. */
export type PlainEvent =
  | { type: 'ready'; source: string; encoder: string; pipeline: string }
  | { type: 'pipeline'; state: 'started' | 'exited' | 'restarting'; pid?: number; detail?: string; delayMs?: number; codec?: string }
  | { type: 'offer-expired'; offerId: number }
  | { type: 'page-served'; url: string }
  | { type: 'refused'; code: string; reason: string }
  /** A paste that reads as cut short so far: it waits for the rest. */
  | { type: 'cut-short'; chars: number }
  | { type: 'scanning'; active: boolean }
  | { type: 'viewer-joined'; viewer: number; viewers: number }
  | { type: 'viewer-left'; viewer: number; reason: string; viewers: number }
  | { type: 'message'; viewer: number; text: string }
  | { type: 'reconnecting'; viewer: number }
  | { type: 'reconnected'; viewer: number; ms: number }
  | { type: 'network-changed'; addresses: string[] }
  /** Offering: where answers can reach the agent. `stdin` is false when it is /dev/null or closed (systemd). */
  | { type: 'answers-from'; stdin: boolean; camera: boolean; file?: string }
  /** The offer showing was replaced by a fresh one: the address it carried is gone, or it had none and one came. */
  | { type: 'offer-remade'; offerId: number; why: string; addresses: string[] }
  | { type: 'path-checked'; viewer: number; ms: number }
  | { type: 'settings'; viewer: number; width: number; height: number; fps: number; bitrate: number }
  | { type: 'detections'; boxes: number }
  | { type: 'stats'; fps: number; kbps: number; viewers: { viewer: number; rttMs: number | null }[] }
  /** SIGUSR2's answer (memory-report.ts): megabytes, the heap after a collection when `gc`. */
  | { type: 'memory'; gc: boolean; rssMb: number; heapUsedMb: number; codeMb: number; heapTotalMb: number; externalMb: number; arrayBuffersMb: number }
  | { type: 'stopped'; reason: string };

/** An offer shown for the next viewer. `link` (with --page-url): the page's URL with the offer in its fragment. */
export interface OfferShown {
  type: 'offer';
  offerId: number;
  blob: EncodedBlob;
  link?: string;
  expiresAt: Date;
}

/** The agent's answer to a browser's offer (`pi-agent answer`), to be carried back by hand. */
export interface AnswerShown {
  type: 'answer';
  viewer: number;
  blob: EncodedBlob;
  expiresAt: Date;
}

export type SessionEvent = PlainEvent | OfferShown | AnswerShown;

/** Where parts send what they report: the session's renderers. */
export type Report = (event: SessionEvent) => void;

/** The QR code an offer or answer is shown as (present.ts): made once for every renderer. */
export interface Shown {
  qr: QrMatrix;
}

/** A session event as the renderers get it. */
export type ShownEvent = PlainEvent | (OfferShown & Shown) | (AnswerShown & Shown);

/**
 * One line as written. An offer or answer line says the blob's text, its frame's size in bytes and
 * the version of the QR code shown (the link's, when the QR holds a link).
 */
export type AgentEvent =
  | PlainEvent
  | { type: 'offer'; offerId: number; text: string; link?: string; bytes: number; qrVersion: number; expiresAt: string }
  | { type: 'answer'; viewer: number; text: string; bytes: number; qrVersion: number; expiresAt: string };
