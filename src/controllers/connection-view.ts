import type { RefusalDetail } from '../events/index.ts';
import type { ViewerErrorDetail } from '../events/viewer-error.ts';
import type { DecodedBlob, EncodedBlob } from '../signal/index.ts';
import type { Transport, TransportChannel, VideoFeed } from '../transport/transport.ts';

/**
 * - `idle`: no offer yet
 * - `answering` / `offering`: building our answer / our offer (ICE gathering)
 * - `waiting`: our blob is ready; the Pi has not reached us yet (or, offering, has not answered)
 * - `connecting`: ICE checks are getting replies
 * - `connected`, `disconnected` (after playing: nothing arrives, or ICE lost the path; may come
 *   back, see `lostSince`), `failed`, `closed`
 */
export type PeerStatus = 'idle' | 'answering' | 'offering' | 'waiting' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** A blob as given: `pigeon:` text (an attribute, a script) or already decoded (the page's paste box, the scanner). */
export type GivenBlob = string | DecodedBlob;

/** What the connection is now; replaced whole on every change, never changed in place. */
export interface ConnectionView {
  readonly status: PeerStatus;
  /** Which side this page plays in the current attempt. */
  readonly role: 'answerer' | 'offerer';
  readonly video: VideoFeed | undefined;
  /** True from the first `connected` until close(): a later failure is a lost connection, not an unreachable Pi. */
  readonly connectedOnce: boolean;
  readonly error: ViewerErrorDetail | undefined;
  /**
   * When our blob was ready (epoch ms), while the Pi has not yet reached us with it: the person
   * carrying it may take minutes, and the page waits as long as the code lives.
   */
  readonly waitingSince: number | undefined;
  /**
   * When the playing connection stopped carrying (epoch ms): nothing arrives from the Pi, or ICE
   * says disconnected or failed. The page waits for the path to come back (a changed network
   * repaired by the Pi's checks) up to RECOVERY_MS before it asks for a fresh code.
   */
  readonly lostSince: number | undefined;
  /** True while a reconnect over the data channel waits for its new connection. */
  readonly restarting: boolean;
  /**
   * The video codecs this page's own offer carries, while it is the offering side: a Pi that
   * sends another refuses it on its own terminal (E_CODEC_MISMATCH), which the page cannot see.
   */
  readonly offeredCodecs: readonly string[] | undefined;
}

/** What the agent channel does for a reconnect: carry this side's offer and bring back the answer. */
export interface AgentSignaling {
  readonly open: boolean;
  /** Resolves with the agent's answer; rejects on its refusal, a timeout, or `signal` aborting. */
  ask(offer: EncodedBlob, signal: AbortSignal): Promise<DecodedBlob>;
  /** Our answer to the agent's in-place offer, or why there is none. */
  answer(answer: EncodedBlob): void;
  refuse(error: unknown): void;
}

export interface ConnectionEvents {
  /** Our answer to the Pi's offer, ICE gathering complete. */
  answer: EncodedBlob;
  /** Our own offer, for `pi-agent answer`. */
  offer: EncodedBlob;
  connected: null;
  error: ViewerErrorDetail;
  /** The agent's channel on the current connection; undefined once it is no longer listened to. */
  channel: TransportChannel | undefined;
  /** The connection whose video plays now (to sample), or undefined when none does. */
  live: Transport | undefined;
  /** The current connection's transport refused a request of this page's (the bridge); it goes on. */
  refusal: RefusalDetail;
  /** About to close: the last moment to tell the agent. */
  closing: null;
}
