// A WebRTC peer for tests, running inside a browser tab: one RTCPeerConnection, its 'pigeon'
// data channel and a <video> whose frames it counts. A real module, bundled for the page by
// page-script.ts (with jsqr, for the latency probe) and driven from Node by browser-peer.ts
// through `globalThis.pigeonTestPeer`.
import jsQR from 'jsqr';
import { Inbox } from '../inbox.ts';
import type { BrowserPeerOptions, PeerRuntime, PeerRuntimeGlobal, VideoStats } from './peer-api.ts';

/** Chromium's MediaStreamTrackProcessor, which the DOM typings do not have yet. */
type TrackProcessor = new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<{ close(): void }> };

const epoch = (): number => performance.timeOrigin + performance.now();

/** Frames as the decoder hands them to the track, and how far apart they came. */
class FrameCounter {
  frames = 0;
  firstFrameAt: number | null = null;
  readonly times: number[] = [];

  count(): void {
    const at = epoch();
    this.frames++;
    this.firstFrameAt ??= at;
    this.times.push(at);
    if (this.times.length > 1000) this.times.shift();
  }

  /** Counts every frame of `track`; `video` plays it. */
  watch(track: MediaStreamTrack, video: HTMLVideoElement): void {
    // Count frames as the decoder hands them to the track, not as a tab paints them: a tab in
    // the background decodes but does not present, and each peer here is its own tab.
    const Processor = (globalThis as unknown as { MediaStreamTrackProcessor?: TrackProcessor }).MediaStreamTrackProcessor;
    if (Processor) {
      void this.pump(new Processor({ track: track.clone() }).readable.getReader());
      return;
    }
    // Firefox has no MediaStreamTrackProcessor on the main thread: count presented frames.
    const each = (): void => {
      this.count();
      video.requestVideoFrameCallback(each);
    };
    video.requestVideoFrameCallback(each);
  }

  private async pump(reader: ReadableStreamDefaultReader<{ close(): void }>): Promise<void> {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      value.close();
      this.count();
    }
  }
}

/**
 * Reads a QR code of the sender's clock (ms since the epoch) from every presented frame and keeps
 * now − stamp: glass-to-glass latency on one machine (the agent's --source latency).
 */
class LatencyProbe {
  readonly latencyMs: number[] = [];
  readonly readMs: number[] = [];
  private started = false;

  start(video: HTMLVideoElement): void {
    if (this.started) return;
    this.started = true;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const read = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      // When the compositor expects this frame to be on screen: the "glass" end.
      const presented = performance.timeOrigin + meta.expectedDisplayTime;
      const started = performance.now();
      canvas.width = meta.width;
      canvas.height = meta.height;
      context?.drawImage(video, 0, 0);
      const pixels = context?.getImageData(0, 0, meta.width, meta.height);
      const code = pixels ? jsQR(pixels.data, meta.width, meta.height) : null;
      this.readMs.push(performance.now() - started);
      if (code && /^\d{13}$/.test(code.data)) this.latencyMs.push(presented - Number(code.data));
      video.requestVideoFrameCallback(read);
    };
    video.requestVideoFrameCallback(read);
  }
}

/**
 * Non-trickle signalling: the SDP must carry every candidate. Bounded, because a browser that
 * rejects the BUNDLE-tag section (Firefox with an offer it cannot play) never gathers at all.
 */
async function gathered(peer: RTCPeerConnection, timeoutMs: number): Promise<string> {
  if (peer.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const rejected = (peer.localDescription?.sdp.match(/^m=\S+ 0 .*$/gm) ?? []).join(' | ');
        reject(
          new Error(
            `ICE gathering not complete after ${timeoutMs} ms (iceGatheringState=${peer.iceGatheringState}` +
              `${rejected ? `; rejected sections: ${rejected}` : ''})`,
          ),
        );
      }, timeoutMs);
      peer.addEventListener('icegatheringstatechange', () => {
        if (peer.iceGatheringState !== 'complete') return;
        clearTimeout(timer);
        resolve();
      });
    });
  }
  const sdp = peer.localDescription?.sdp;
  if (!sdp) throw new Error('no local description after gathering');
  return sdp;
}

class TabPeer implements PeerRuntime {
  private readonly pc: RTCPeerConnection;
  private channel: RTCDataChannel | undefined;
  private video: HTMLVideoElement | undefined;
  private readonly inbox = new Inbox('data channel');
  private readonly counter = new FrameCounter();
  private readonly probe = new LatencyProbe();
  private probing = false;
  private markOpen: () => void = () => undefined;
  private readonly opened = new Promise<void>((resolve) => (this.markOpen = resolve));

  constructor(private readonly options: BrowserPeerOptions) {
    this.pc = new RTCPeerConnection({ bundlePolicy: options.bundlePolicy ?? 'max-bundle' });
    this.pc.ontrack = (event) => this.show(event.track);
  }

  private show(track: MediaStreamTrack): void {
    const video = document.createElement('video');
    this.video = video;
    video.muted = true;
    video.playsInline = true;
    document.body.append(video);
    video.srcObject = new MediaStream([track]);
    void video.play();
    this.counter.watch(track, video);
    if (this.probing) this.probe.start(video);
  }

  private adopt(dc: RTCDataChannel): void {
    this.channel = dc;
    dc.onopen = () => this.markOpen();
    if (dc.readyState === 'open') this.markOpen();
    dc.onmessage = (event: MessageEvent<unknown>) => this.inbox.put(String(event.data));
  }

  private states(): string {
    return `connectionState=${this.pc.connectionState} iceConnectionState=${this.pc.iceConnectionState}`;
  }

  private gathered(): Promise<string> {
    return gathered(this.pc, this.options.gatherTimeoutMs ?? 20_000);
  }

  async createOffer(): Promise<string> {
    this.pc.addTransceiver('video', { direction: 'recvonly' });
    this.adopt(this.pc.createDataChannel('pigeon'));
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.gathered();
  }

  async acceptOffer(sdp: string): Promise<string> {
    this.pc.ondatachannel = (event) => this.adopt(event.channel);
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.gathered();
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  waitForOpen(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`data channel not open after ${timeoutMs} ms (${this.states()})`)), timeoutMs);
      void this.opened.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  send(text: string): void {
    if (this.channel?.readyState !== 'open') throw new Error(`data channel not open (${this.states()})`);
    this.channel.send(text);
  }

  nextMessage(timeoutMs: number): Promise<string> {
    return this.inbox.next(timeoutMs, () => this.states());
  }

  close(): void {
    this.channel?.close();
    this.pc.close();
  }

  startLatencyProbe(): void {
    this.probing = true;
    if (this.video) this.probe.start(this.video);
  }

  latencySamples(): { latencyMs: number[]; readMs: number[] } {
    return { latencyMs: [...this.probe.latencyMs], readMs: [...this.probe.readMs] };
  }

  async createOfferForRestart(): Promise<string> {
    const offer = await this.pc.createOffer({ iceRestart: true });
    return offer.sdp ?? '';
  }

  videoCodecs(): string[] {
    return (RTCRtpReceiver.getCapabilities('video')?.codecs ?? []).map((c) => c.mimeType.replace(/^video\//i, ''));
  }

  async videoStats(windowMs: number): Promise<VideoStats> {
    let framesDecoded = 0;
    let bytesReceived = 0;
    (await this.pc.getStats()).forEach((stat: { type: string; kind?: string; framesDecoded?: number; bytesReceived?: number }) => {
      if (stat.type !== 'inbound-rtp' || stat.kind !== 'video') return;
      framesDecoded = stat.framesDecoded ?? 0;
      bytesReceived = stat.bytesReceived ?? 0;
    });
    const since = epoch() - windowMs;
    const recent = this.counter.times.filter((t) => t > since);
    const longestGapMs = recent.reduce((longest, t, i) => (i === 0 ? 0 : Math.max(longest, t - recent[i - 1]!)), 0);
    return {
      longestGapMs,
      frames: this.counter.frames,
      framesDecoded,
      bytesReceived,
      firstFrameAt: this.counter.firstFrameAt,
      fps: (recent.length * 1000) / windowMs,
      width: this.video?.videoWidth ?? 0,
      height: this.video?.videoHeight ?? 0,
    };
  }
}

const runtime: PeerRuntimeGlobal['pigeonTestPeer'] = { create: (options) => new TabPeer(options) };
(globalThis as unknown as PeerRuntimeGlobal).pigeonTestPeer = runtime;
