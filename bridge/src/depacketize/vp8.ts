// VP8 RTP payloads (RFC 7741 §4.2 payload descriptor) back to one VP8 frame.

/** Bytes of the payload descriptor at the front of `payload`, or undefined when it is cut short. */
function descriptorLength(payload: Buffer): number | undefined {
  if (payload.length < 1) return undefined;
  let length = 1;
  if (payload[0]! & 0x80) {
    const x = payload[1];
    if (x === undefined) return undefined;
    length = 2;
    if (x & 0x80) length += (payload[length] ?? 0) & 0x80 ? 2 : 1; // I: PictureID, 15 bits when M
    if (x & 0x40) length += 1; // L: TL0PICIDX
    if (x & 0x30) length += 1; // T or K: TID / KEYIDX
  }
  return length <= payload.length ? length : undefined;
}

/** The payloads of one frame (one RTP timestamp, in sequence order) as one VP8 frame. */
export function vp8Frame(payloads: readonly Buffer[]): { data: Buffer; keyframe: boolean } {
  const parts: Buffer[] = [];
  let keyframe = false;
  for (const [index, payload] of payloads.entries()) {
    const length = descriptorLength(payload);
    if (length === undefined) continue;
    const body = payload.subarray(length);
    // The frame's first byte, in the packet with S set and partition 0: bit 0 is 0 on a keyframe.
    const startOfFrame = (payload[0]! & 0x10) !== 0 && (payload[0]! & 0x07) === 0;
    if (index === 0 && startOfFrame && body.length > 0) keyframe = (body[0]! & 0x01) === 0;
    parts.push(body);
  }
  return { data: Buffer.concat(parts), keyframe };
}
