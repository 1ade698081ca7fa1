/**
 * What `<pigeon-viewer>` needs from a connection to the Pi, whatever carries it: the browser's
 * own RTCPeerConnection (`native.ts`), or a bridge process that does the WebRTC for a webview
 * without it and relays media and messages over a loopback WebSocket (`bridge.ts`). Answering
 * the Pi's code takes the decoded blob and gives the answer blob: the bridge is handed the Pi's
 * code and makes the answer itself, so only the transport knows which side encodes it. The rest
 * of the hand-over (a reconnect's offer and answer) is in whole SDPs (non-trickle).
 */
import type { RefusalDetail } from '../events/index.ts';
import type { DecodedBlob, EncodedBlob } from '../signal/index.ts';

/** A connection's state, named as RTCPeerConnection names them. */
export type TransportState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/**
 * How the Pi's video reaches the page, which decides what shows it:
 * - `stream`: a MediaStream, decoded by the browser, for a `<video>` (native WebRTC);
 * - `frames`: encoded frames for the page to show (a bridge: the webview has no WebRTC, so no
 *   MediaStream can come out of the network), decoded with WebCodecs onto a `<canvas>` or played
 *   through Media Source Extensions in a `<video>`, as the feed's `surface` says.
 */
export type VideoFeed = { readonly kind: 'stream'; readonly stream: MediaStream } | { readonly kind: 'frames'; readonly frames: EncodedFrames };

/** One encoded video frame as the agent sent it. */
export interface EncodedVideoFrame {
  readonly codec: 'H264' | 'VP8';
  /** An H.264 access unit (Annex B) or one VP8 frame. */
  readonly data: Uint8Array;
  /** The RTP timestamp (90 kHz), the clock the agent's detections are stamped with. */
  readonly rtpTimestamp: number;
  /** Presentation time in µs from the first frame: the RTP timestamp unwrapped (what a VideoDecoder takes). */
  readonly timestampUs: number;
  /** True for a frame that decodes on its own (IDR, VP8 key frame). */
  readonly key: boolean;
}

/** What encoded frames are shown on: a `<canvas>` (WebCodecs) or a `<video>` (MSE). */
export type FrameSurface = 'canvas' | 'video';

/** Encoded frames as they arrive; whoever shows them subscribes, or lets the transport draw them. */
export interface EncodedFrames {
  /** The element `drawOn` takes for this connection: chosen with the codecs, before the feed is reported. */
  readonly surface: FrameSurface;
  /** Calls `listener` with each frame from now on; returns the unsubscribe. */
  subscribe(listener: (frame: EncodedVideoFrame) => void): () => void;
  /**
   * Shows the frames on `target` from now on (undefined: stops): decoded onto a canvas, or played
   * in a video, as `surface` says; what is decoded shows in the transport's `sample()`, as a
   * browser's decoder in its stats.
   */
  drawOn(target: HTMLCanvasElement | HTMLVideoElement | undefined): void;
}

/** What the 'pigeon' channel fires: messages (JSON text), and its opening and closing. */
export interface TransportChannelEventMap {
  message: MessageEvent;
  open: Event;
  close: Event;
}

/**
 * The agent's 'pigeon' data channel: JSON text both ways. An RTCDataChannel is one as it is; a
 * bridge relays one with the same shape, so the protocol code does not know which it has.
 */
export interface TransportChannel {
  readonly label: string;
  readonly readyState: RTCDataChannelState;
  send(text: string): void;
  close(): void;
  addEventListener<K extends keyof TransportChannelEventMap>(type: K, listener: (event: TransportChannelEventMap[K]) => void): void;
  removeEventListener<K extends keyof TransportChannelEventMap>(type: K, listener: (event: TransportChannelEventMap[K]) => void): void;
}

/** One reading of the incoming video and the path; a number the transport cannot give is `null`. */
export interface TransportSample {
  width: number | null;
  height: number | null;
  fps: number | null;
  packetsLost: number | null;
  framesDecoded: number | null;
  /** Video bytes received so far, with `at` (ms, the transport's clock): the sampler derives the bitrate. */
  bytesReceived: number | null;
  at: number | null;
  /** Round trip time of the path in use, ms. */
  rttMs: number | null;
}

/** What a transport reports, each at most once per change. */
export interface TransportEvents {
  state: TransportState;
  /** The Pi answered this side's ICE checks before the connection was up: it holds its side open. */
  reached: true;
  video: VideoFeed;
  /** The agent's 'pigeon' channel: made by this side (offer) or announced by the agent (answer). */
  channel: TransportChannel;
  /**
   * Once connected: nothing has arrived from the Pi for a while (`true`; the path stopped carrying,
   * e.g. its address changed), or it arrives again (`false`). Optional: a transport that cannot
   * tell says nothing, and its state changes alone count.
   */
  quiet: boolean;
  /**
   * The connection ended for a reason only this transport knows, in words for the person (a
   * bridge that went away, the agent's bye as the bridge saw it); nothing more is reported after.
   */
  error: Error;
  /** Something between this side and the Pi refused a request of this page's (a bridge's refusal); the connection goes on. */
  refusal: RefusalDetail;
}

/**
 * One connection to the Pi. SDPs are whole: every method that makes one resolves once ICE
 * gathering is complete, since there is no channel for later candidates. After `close()` it
 * reports nothing more.
 */
export interface Transport {
  readonly state: TransportState;
  /**
   * True when `failed` after playing may still turn into `connected` by itself once the path
   * works again (Chromium does, after a 20 s outage: measured), so the page waits RECOVERY_MS
   * before it gives up. Absent or false: `failed` is the end.
   */
  readonly failureMayPass?: boolean;
  /** The latest video feed and channel, also for whoever subscribes after they came. */
  readonly video: VideoFeed | undefined;
  readonly channel: TransportChannel | undefined;
  on<K extends keyof TransportEvents>(type: K, listener: (detail: TransportEvents[K]) => void): () => void;
  /** Takes the Pi's offer (as decoded) and resolves with this side's answer blob, carrying the offer's id. */
  answer(offer: DecodedBlob): Promise<EncodedBlob>;
  /** Offers to receive video and opens the 'pigeon' channel; resolves with the offer. */
  offer(): Promise<string>;
  /** Takes the answer to `offer()`. */
  acceptAnswer(answerSdp: string): Promise<void>;
  /** The agent's offer on an existing connection (an ICE restart, a renegotiation): resolves with the answer. */
  renegotiate(offerSdp: string): Promise<string>;
  /** Resolves once connected with the channel open; rejects if either fails or `timeoutMs` passes. */
  ready(timeoutMs: number): Promise<void>;
  sample(): Promise<TransportSample>;
  close(): void;
}

/** A kind of transport: what it can play, and a new connection of it. */
export interface TransportKind {
  /** The video codecs it can show, upper-case (`VP8`, `H264` …); undefined where it cannot say. */
  playableCodecs(): string[] | undefined;
  create(): Transport;
}
