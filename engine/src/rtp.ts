// RTP out, per viewer: the encoder's packets carry its own SSRC, payload type, sequence numbers
// and timestamps; each viewer gets them as its negotiated stream (its SSRC and payload type, a
// sequence and timestamp of its own that start at random and run on without a break). Rewritten
// into one buffer per viewer, reused for every packet: EnginePeer.sendRtp hands it to
// node-datachannel's Track.sendMessageBinary, which copies it before it returns (libdatachannel's
// Track::send(const byte *, size_t) makes a binary vector of it), so nothing holds on to it.

/** The fields of one RTP header the rewriter reads. */
const sequenceOf = (packet: Buffer): number => packet.readUInt16BE(2);
const timestampOf = (packet: Buffer): number => packet.readUInt32BE(4);

/** The scratch buffer's first size: above any packet of the agent's payloaders (mtu 1200); grown for a longer one. */
const SCRATCH_BYTES = 1500;

export class RtpRewriter {
  /** What the viewer's sequence / timestamp are ahead of the encoder's, mod 2^16 / 2^32. */
  private sequenceOffset: number | undefined;
  private timestampOffset: number | undefined;
  private lastSequence = Math.floor(Math.random() * 0x10000);
  private lastTimestamp = Math.floor(Math.random() * 0x100000000) >>> 0;
  private scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  /**
   * Views of `scratch` by length, each made the first time a packet has that length, so a packet
   * costs no allocation: an encoder's packets come in few lengths (most are the payloader's mtu),
   * and there is at most one per length the buffer holds.
   */
  private views: (Buffer | undefined)[] = [];

  constructor(
    readonly ssrc: number,
    private payloadType: number,
  ) {}

  /** The payload type this viewer decodes, once the answer says which. */
  setPayloadType(payloadType: number): void {
    this.payloadType = payloadType;
  }

  /**
   * `packet` as this viewer's stream, in this rewriter's own buffer: good until the next call,
   * which overwrites it (send it, or copy it, before then). Undefined for something too short to be RTP.
   */
  rewrite(packet: Buffer): Buffer | undefined {
    if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
    if (this.sequenceOffset === undefined || this.timestampOffset === undefined) this.align(packet, 1, 0);
    const out = this.view(packet.length);
    out.set(packet);
    out[1] = (packet[1]! & 0x80) | (this.payloadType & 0x7f);
    this.lastSequence = (sequenceOf(packet) + this.sequenceOffset!) & 0xffff;
    this.lastTimestamp = (timestampOf(packet) + this.timestampOffset!) >>> 0;
    out.writeUInt16BE(this.lastSequence, 2);
    out.writeUInt32BE(this.lastTimestamp, 4);
    out.writeUInt32BE(this.ssrc, 8);
    return out;
  }

  /** The last timestamp sent, in the viewer's clock, if any was. */
  get timestamp(): number | undefined {
    return this.timestampOffset === undefined ? undefined : this.lastTimestamp;
  }

  /** An encoder timestamp in the viewer's clock, once the first packet went. */
  viewerTimestamp(encoderTimestamp: number): number | undefined {
    return this.timestampOffset === undefined ? undefined : (encoderTimestamp + this.timestampOffset) >>> 0;
  }

  /**
   * After the encoder restarted (its sequence and timestamps start anew): its next packet,
   * `packet`, follows straight on from the last one sent, `gapMs` later (90 kHz clock).
   */
  continueFrom(packet: Buffer, gapMs: number): void {
    if (packet.length < 12) return;
    this.align(packet, 1, Math.max(1, Math.round(gapMs * 90)));
  }

  /** The first `length` bytes of the scratch buffer, which grows (and forgets its views) for a longer packet. */
  private view(length: number): Buffer {
    if (length > this.scratch.length) {
      this.scratch = Buffer.allocUnsafe(length);
      this.views = [];
    }
    return (this.views[length] ??= this.scratch.subarray(0, length));
  }

  private align(packet: Buffer, sequenceStep: number, ticks: number): void {
    this.sequenceOffset = (this.lastSequence + sequenceStep - sequenceOf(packet)) & 0xffff;
    this.timestampOffset = (this.lastTimestamp + ticks - timestampOf(packet)) >>> 0;
  }
}

/** A random SSRC, not 0. */
export const randomSsrc = (): number => 1 + Math.floor(Math.random() * 0xfffffffe);
