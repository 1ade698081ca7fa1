// The typed contract between a test (Node) and the probe loaded into the built page
// (app-probe.ts). Types only: both sides import it.

/** What a person sees of the app, read from its shadow DOM. */
export interface Seen {
  alert: string;
  answer: string;
  instruction: string;
  qr: { width: number; shown: number } | null;
  status: string;
  viewerStatus: string;
  /** The viewer's status line as shown, e.g. "Waiting for the Pi to read the answer… · 0:35". */
  viewerStatusText: string;
  viewerAlert: string;
  hello: string;
  /** The camera scanner's state line and its message (a refused code, a camera problem). */
  scan: string;
}

export interface AppProbe {
  look(): Promise<Seen>;
  /** Epoch ms at which the viewer's <video> had its first frame; rejects after `timeoutMs`. */
  firstFrame(timeoutMs: number): Promise<number>;
  /** From now on, keep each RTCPeerConnection the page makes (behaviour untouched), to read its descriptions. */
  keepPeerConnections(): void;
  /** The ones kept so far, oldest first. */
  peerConnections(): RTCPeerConnection[];
}

/** What the probe's script puts on the page's globalThis. */
export interface AppProbeGlobal {
  pigeonAppProbe: AppProbe;
}
