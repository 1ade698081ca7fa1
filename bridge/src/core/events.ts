/**
 * Everything the bridge reports, as data. The CLI prints these as status lines for people
 * (stderr) or, with --json, one JSON object per line on stdout (after the URL line) for Tauri
 * and scripts, as the agent does (pi-agent/src/core/events.ts).
 */
export type BridgeEvent =
  | { type: 'listening'; url: string; pid: number }
  | { type: 'page-connected'; page: number; origin: string | null }
  | { type: 'page-refused'; code: string; reason: string; address: string }
  | { type: 'page-left'; page: number }
  /** A request the bridge could not act on; the page got the same as an `error` message. */
  | { type: 'request-refused'; page: number; code: string; reason: string }
  | { type: 'answer'; viewer: number; page: number; offerId: number | null; codec: string; text: string }
  /** A viewer offering (a reconnect, or the page offering first): its offer went to the page. */
  | { type: 'offer'; viewer: number; page: number; codecs: string[] }
  /** The Pi's answer to a viewer's offer was taken: ICE and DTLS follow. */
  | { type: 'answered'; viewer: number }
  | { type: 'viewer-connected'; viewer: number }
  | { type: 'viewer-attached'; viewer: number; page: number }
  | { type: 'viewer-closed'; viewer: number; code: string; reason: string }
  /**
   * Every 5 s while a viewer is connected, about those 5 s: frames (and their rate and bitrate)
   * sent on to the page, frames lost on the way from the Pi, frames not sent (a page too far behind).
   */
  | { type: 'stats'; viewer: number; fps: number; kbps: number; frames: number; lost: number; skipped: number }
  /** --carry: the command runs and pages get its blobs at this URL (the second line on stdout). */
  | { type: 'carrying'; url: string; command: string[] }
  | { type: 'carry-page'; page: number }
  /** An offer or answer from the carried agent went to a page (or to nobody yet: a page that connects gets the offer). */
  | { type: 'carried'; what: 'offer' | 'answer'; to: 'page' | 'nobody' }
  /** The carried command ended or never spoke (ssh refused, host unreachable, no pi-agent there …). */
  | { type: 'carry-failed'; code: string; reason: string }
  | { type: 'stopped'; reason: string };

export type Emit = (event: BridgeEvent) => void;
