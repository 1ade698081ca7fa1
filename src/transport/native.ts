import { Emitter } from '../events/emitter.ts';
import { encodeBlob, type DecodedBlob, type EncodedBlob } from '../signal/index.ts';
import { playableVideoCodecs } from './codecs.ts';
import { notUp } from '../events/viewer-error.ts';
import { connectedWithChannel, gathered, gatheredAfter } from './gather.ts';
import { QuietWatch } from './quiet.ts';
import type { Transport, TransportEvents, TransportKind, TransportSample, TransportState, VideoFeed } from './transport.ts';

/**
 * The browser's own RTCPeerConnection as Pigeon makes them: no STUN or TURN server (Pigeon is
 * for networks with no internet), everything bundled, the video as a MediaStream for a `<video>`.
 */
export class NativeTransport extends Emitter<TransportEvents> implements Transport {
  private readonly pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
  private stream: MediaStream | undefined;
  private dataChannel: RTCDataChannel | undefined;
  private closed = false;
  private reached = false;
  readonly failureMayPass = true;
  /** From the first `connected` on: says when nothing arrives from the Pi any more, and when it does again. */
  private readonly quiet = new QuietWatch(this.pc, (quiet) => this.report('quiet', quiet));

  constructor() {
    super();
    const { pc } = this;
    pc.addEventListener('track', (event) => {
      this.stream = event.streams[0] ?? new MediaStream([event.track]);
      this.report('video', { kind: 'stream', stream: this.stream });
    });
    pc.addEventListener('datachannel', (event) => this.adopt(event.channel));
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') this.quiet.start();
      this.report('state', pc.connectionState);
    });
    pc.addEventListener('iceconnectionstatechange', () => {
      if (this.reached || (pc.iceConnectionState !== 'connected' && pc.iceConnectionState !== 'completed')) return;
      this.reached = true;
      this.report('reached', true);
    });
  }

  get state(): TransportState {
    return this.pc.connectionState;
  }

  get video(): VideoFeed | undefined {
    // A track may have come before anyone listened (a reconnect's new connection): ask the receiver.
    const track = this.pc.getReceivers().find((receiver) => receiver.track.kind === 'video')?.track;
    const stream = this.stream ?? (track ? new MediaStream([track]) : undefined);
    return stream ? { kind: 'stream', stream } : undefined;
  }

  get channel(): RTCDataChannel | undefined {
    return this.dataChannel;
  }

  async answer(offer: DecodedBlob): Promise<EncodedBlob> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return encodeBlob({ type: 'answer', sdp: await gathered(this.pc) }, { offerId: offer.offerId });
  }

  async offer(): Promise<string> {
    this.pc.addTransceiver('video', { direction: 'recvonly' });
    this.adopt(this.pc.createDataChannel('pigeon'));
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return gathered(this.pc);
  }

  async acceptAnswer(answerSdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
  }

  async renegotiate(offerSdp: string): Promise<string> {
    const { pc } = this;
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    return gatheredAfter(pc, async () => pc.setLocalDescription(await pc.createAnswer()));
  }

  ready(timeoutMs: number): Promise<void> {
    if (!this.dataChannel) return Promise.reject(notUp('has no data channel'));
    return connectedWithChannel(this.pc, this.dataChannel, timeoutMs);
  }

  async sample(): Promise<TransportSample> {
    const report = await this.pc.getStats();
    const sample: TransportSample = { width: null, height: null, fps: null, packetsLost: null, framesDecoded: null, bytesReceived: null, at: null, rttMs: null };
    let pairId: string | undefined;
    report.forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        sample.width = num(s.frameWidth);
        sample.height = num(s.frameHeight);
        sample.fps = num(s.framesPerSecond);
        sample.packetsLost = num(s.packetsLost);
        sample.framesDecoded = num(s.framesDecoded);
        sample.bytesReceived = num(s.bytesReceived);
        sample.at = num(s.timestamp);
      }
      if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pairId = s.selectedCandidatePairId;
    });
    const pair = pairId === undefined ? undefined : (report.get(pairId) as Record<string, unknown> | undefined);
    const rtt = num(pair?.currentRoundTripTime);
    sample.rttMs = rtt === null ? null : rtt * 1000;
    return sample;
  }

  close(): void {
    this.closed = true;
    this.quiet.stop();
    this.pc.close();
  }

  /** Only the agent's channel: a browser extension's or a test's other channels are not the protocol's. */
  private adopt(channel: RTCDataChannel): void {
    if (channel.label !== 'pigeon') return;
    this.dataChannel = channel;
    this.report('channel', channel);
  }

  /** After close() nothing more is said: what a closing connection would say has been said already. */
  private report<K extends keyof TransportEvents>(type: K, detail: TransportEvents[K]): void {
    if (!this.closed) this.emit(type, detail);
  }
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The browser's WebRTC, where it has one. */
export const nativeTransport: TransportKind = {
  playableCodecs: playableVideoCodecs,
  create: () => new NativeTransport(),
};
