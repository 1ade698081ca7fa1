// The typed contract between a test (Node) and the WebRTC peer runtime running in a browser tab
// (peer-runtime.ts). Types only: both sides import it, neither ships code through it.

/** What the page's <video> has shown of the far side's track. Times are epoch ms. */
export interface VideoStats {
  /** Video payload bytes received so far (inbound-rtp). */
  bytesReceived: number;
  /** Frames the decoder delivered to the track. */
  frames: number;
  /** Frames decoded, from getStats (inbound-rtp). */
  framesDecoded: number;
  firstFrameAt: number | null;
  /** Frames presented in the last `windowMs`, per second. */
  fps: number;
  /** The longest time between two frames in the last `windowMs` (0 with fewer than two). */
  longestGapMs: number;
  width: number;
  height: number;
}

export interface BrowserPeerOptions {
  /** `max-bundle` (the default, as the page uses) or `balanced`, the browsers' own default. */
  bundlePolicy?: RTCBundlePolicy;
  /** How long createOffer/acceptOffer wait for ICE gathering before they throw. */
  gatherTimeoutMs?: number;
}

export interface LatencySamples {
  latencyMs: number[];
  readMs: number[];
}

/** One RTCPeerConnection in the tab, as the runtime exposes it. */
export interface PeerRuntime {
  createOffer(): Promise<string>;
  acceptOffer(sdp: string): Promise<string>;
  acceptAnswer(sdp: string): Promise<void>;
  waitForOpen(timeoutMs: number): Promise<void>;
  send(text: string): void;
  nextMessage(timeoutMs: number): Promise<string>;
  close(): void;
  videoStats(windowMs: number): Promise<VideoStats>;
  startLatencyProbe(): void;
  latencySamples(): LatencySamples;
  createOfferForRestart(): Promise<string>;
  videoCodecs(): string[];
}

/** What the runtime's script puts on the page's globalThis. */
export interface PeerRuntimeGlobal {
  pigeonTestPeer: { create(options: BrowserPeerOptions): PeerRuntime };
}
