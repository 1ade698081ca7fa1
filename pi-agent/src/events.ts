/**
 * Everything the agent reports, as data. The CLI prints these as status lines for people
 * (stderr) or, with --json, one JSON object per line on stdout for scripts, systemd and Tauri.
 */
export type AgentEvent =
  | { type: 'ready'; source: string; encoder: string; pipeline: string }
  | { type: 'pipeline'; state: 'started' | 'exited' | 'restarting'; pid?: number; detail?: string; delayMs?: number; codec?: string }
  /** `link` (with --page-url): the page's URL with the offer in its fragment; the QR holds it then. */
  | { type: 'offer'; offerId: number; text: string; link?: string; bytes: number; qrVersion: number; expiresAt: string }
  | { type: 'offer-expired'; offerId: number }
  | { type: 'page-served'; url: string }
  | { type: 'answer'; viewer: number; text: string; bytes: number; qrVersion: number; expiresAt: string }
  | { type: 'refused'; code: string; reason: string }
  /** A paste that reads as cut short so far: it waits for the rest. */
  | { type: 'cut-short'; chars: number }
  | { type: 'scanning'; active: boolean }
  | { type: 'viewer-joined'; viewer: number; viewers: number }
  | { type: 'viewer-left'; viewer: number; reason: string; viewers: number }
  | { type: 'message'; viewer: number; text: string }
  | { type: 'reconnecting'; viewer: number }
  | { type: 'reconnected'; viewer: number; ms: number }
  | { type: 'settings'; viewer: number; width: number; height: number; fps: number; bitrate: number }
  | { type: 'detections'; boxes: number }
  | { type: 'stats'; fps: number; kbps: number; viewers: { viewer: number; rttMs: number | null }[] }
  | { type: 'stopped'; reason: string };

export type Emit = (event: AgentEvent) => void;
