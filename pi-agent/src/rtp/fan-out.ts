// The encoders' RTP to every viewer that receives it: each packet from a codec's RtpIn goes to the
// connected viewers that chose that codec. A restarted encoder (new sequence, maybe a new SSRC) is
// carried on seamlessly for each viewer, and a viewer whose connection just came up starts on the
// latest keyframe (keyframe-cache.ts) instead of waiting for the next one.
import { EventEmitter } from 'node:events';
import { KeyframeCache } from './keyframe-cache.ts';
import type { VideoCodec, ViewerPeer } from '../webrtc/viewer-peer.ts';
import type { RtpIn } from './rtp-in.ts';

export interface FanOutEvents {
  /** Writing to this receiver threw; it gets nothing more until it is added again. */
  failed: [peer: ViewerPeer, error: unknown];
}

export class FanOut extends EventEmitter<FanOutEvents> {
  private readonly receivers = new Set<ViewerPeer>();
  private readonly keyframes = new Map<VideoCodec, KeyframeCache>();
  /** Per codec: the last packet's sequence number, SSRC and time, to notice an encoder restart. */
  private readonly last = new Map<VideoCodec, { seq: number; ssrc: number; at: number }>();
  private readonly subscriptions = new Map<RtpIn, (packet: Buffer) => void>();

  /** `rtp`: each codec's encoder output; a receiver gets the one for the codec its browser chose. */
  constructor(private readonly rtp: ReadonlyMap<VideoCodec, RtpIn>) {
    super();
    for (const [codec, input] of rtp) {
      this.keyframes.set(codec, new KeyframeCache(codec));
      const listener = (packet: Buffer): void => this.forward(codec, packet);
      this.subscriptions.set(input, listener);
      input.on('packet', listener);
    }
  }

  /**
   * A connection that just came up: the keyframe its encoder made in the last moment (asked for
   * when its answer came) and what followed, at once; without one, a keyframe asked for now.
   */
  add(peer: ViewerPeer, withKeyframe: boolean): void {
    this.receivers.add(peer);
    if (!withKeyframe) return;
    const codec = peer.codec;
    const fresh = codec === undefined ? undefined : this.keyframes.get(codec)?.fresh();
    if (fresh) for (const packet of fresh) peer.writeRtp(packet);
    // And another keyframe soon after: packets sent in a connection's first moments are now and
    // then lost (werift as the DTLS client), and without one the viewer would wait for the periodic one.
    this.keyframe(peer);
  }

  remove(peer: ViewerPeer): void {
    this.receivers.delete(peer);
  }

  /** Asks the encoder of `peer`'s codec for a keyframe. */
  keyframe(peer: ViewerPeer): void {
    const codec = peer.codec;
    if (codec) this.rtp.get(codec)?.requestKeyframe();
  }

  /** Keyframes from every encoder, e.g. after a data-channel request whose codec is not known. */
  requestKeyframes(): void {
    for (const input of this.rtp.values()) input.requestKeyframe();
  }

  /** Stops listening to the encoders; the RtpIns stay open for their owner to close. */
  close(): void {
    for (const [input, listener] of this.subscriptions) input.off('packet', listener);
    this.subscriptions.clear();
    this.receivers.clear();
  }

  private forward(codec: VideoCodec, packet: Buffer): void {
    const seq = packet.readUInt16BE(2);
    const ssrc = packet.readUInt32BE(8);
    const now = Date.now();
    // A restarted encoder starts a new sequence (and maybe SSRC): each viewer's stream must go
    // on seamlessly, or its decoder drops everything that follows as out of order.
    const last = this.last.get(codec);
    const jump = last === undefined ? 0 : Math.min((seq - last.seq) & 0xffff, (last.seq - seq) & 0xffff);
    const restarted = last !== undefined && (ssrc !== last.ssrc || jump > 1000);
    const gapMs = last === undefined ? 0 : now - last.at;
    // Updated in place: one record per codec, not one per packet.
    if (last === undefined) {
      this.last.set(codec, { seq, ssrc, at: now });
    } else {
      last.seq = seq;
      last.ssrc = ssrc;
      last.at = now;
    }
    if (restarted) this.rtp.get(codec)?.requestKeyframe();
    this.keyframes.get(codec)?.push(packet, now);
    for (const peer of this.receivers) {
      if (peer.codec !== codec) continue;
      try {
        if (restarted) peer.continueFrom(packet, gapMs);
        peer.writeRtp(packet);
      } catch (error) {
        // This runs in the RTP socket's handler: a throw there would end the agent for everyone.
        this.receivers.delete(peer);
        this.emit('failed', peer, error);
      }
    }
  }
}
