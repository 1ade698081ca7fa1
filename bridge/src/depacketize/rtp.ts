// The fixed RTP header (RFC 3550 §5.1) read from a packet as it came off the wire: what the
// frame assembler needs (sequence, timestamp, marker) and where the payload starts.
export interface RtpView {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payloadType: number;
  ssrc: number;
  payload: Buffer;
}

/** The header of an RTP packet, or undefined when it is not one (too short, version not 2). */
export function readRtp(packet: Buffer): RtpView | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const csrcs = packet[0]! & 0x0f;
  let offset = 12 + 4 * csrcs;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  }
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[end - 1]!; // padding, its count in the last byte
  if (end < offset) return undefined;
  return {
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    marker: (packet[1]! & 0x80) !== 0,
    payloadType: packet[1]! & 0x7f,
    ssrc: packet.readUInt32BE(8),
    payload: packet.subarray(offset, end),
  };
}
