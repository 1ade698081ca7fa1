// H.264 RTP payloads (RFC 6184, packetization-mode 1 as the agent sends: single NAL unit,
// STAP-A, FU-A) back to one Annex B access unit.
const START = Buffer.from([0, 0, 0, 1]);
const STAP_A = 24;
const FU_A = 28;

/**
 * The payloads of one frame (one RTP timestamp, in sequence order) as an Annex B access unit.
 * NAL types the agent never sends (STAP-B, MTAP, FU-B) and a FU-A whose start went missing are
 * skipped; the assembler already drops a frame that lost a packet.
 */
export function h264AccessUnit(payloads: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  let inFragment = false;
  for (const payload of payloads) {
    if (payload.length < 1) continue;
    const type = payload[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      parts.push(START, payload);
      inFragment = false;
    } else if (type === STAP_A) {
      for (let i = 1; i + 2 <= payload.length; ) {
        const size = payload.readUInt16BE(i);
        i += 2;
        if (size === 0 || i + size > payload.length) break;
        parts.push(START, payload.subarray(i, i + size));
        i += size;
      }
      inFragment = false;
    } else if (type === FU_A && payload.length >= 2) {
      const header = payload[1]!;
      if (header & 0x80) {
        parts.push(START, Buffer.from([(payload[0]! & 0xe0) | (header & 0x1f)]));
        inFragment = true;
      }
      if (inFragment) parts.push(payload.subarray(2));
      if (header & 0x40) inFragment = false;
    }
  }
  return Buffer.concat(parts);
}

/** Whether an Annex B access unit holds an IDR slice (NAL type 5), read from its NAL headers. */
export function hasIdr(annexB: Uint8Array): boolean {
  for (let i = 0; i + 3 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1 && ((annexB[i + 3] ?? 0) & 0x1f) === 5) return true;
  }
  return false;
}
