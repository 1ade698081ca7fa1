// RTCP the engine reads (a viewer's PLI, FIR and receiver reports) and the sender reports it
// writes, so the viewer's receiver reports carry the round trip (RFC 3550 6.4).

export interface RtcpSeen {
  /** A PLI or FIR: the viewer wants a keyframe. */
  keyframe: boolean;
  /** Round trip in ms from a report block about `ssrc`, if one referred to a sender report of ours. */
  rttMs: number | undefined;
}

/** NTP time now: seconds since 1900 as the 32.32 fixed-point pair. */
function ntpNow(nowMs: number): { seconds: number; fraction: number } {
  const ms = nowMs + 2_208_988_800_000;
  const seconds = Math.floor(ms / 1000);
  return { seconds: seconds >>> 0, fraction: Math.floor(((ms % 1000) / 1000) * 0x100000000) >>> 0 };
}

/** The middle 32 bits of the NTP time, in 1/65536 s, as LSR and DLSR count. */
const ntpMiddle = (nowMs: number): number => {
  const { seconds, fraction } = ntpNow(nowMs);
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
};

/** Reads a compound RTCP packet. Anything malformed ends the reading; what came before counts. */
export function readRtcp(data: Buffer, ssrc: number, nowMs: number): RtcpSeen {
  const seen: RtcpSeen = { keyframe: false, rttMs: undefined };
  let offset = 0;
  while (offset + 4 <= data.length) {
    const first = data[offset]!;
    const type = data[offset + 1]!;
    const length = (data.readUInt16BE(offset + 2) + 1) * 4;
    if (first >> 6 !== 2 || offset + length > data.length) break;
    const count = first & 0x1f;
    // PSFB (206): format 1 PLI, format 4 FIR.
    if (type === 206 && (count === 1 || count === 4)) seen.keyframe = true;
    // SR (200) or RR (201): report blocks after the sender's SSRC (and, in an SR, its 20-byte info).
    if (type === 200 || type === 201) {
      let block = offset + 8 + (type === 200 ? 20 : 0);
      for (let i = 0; i < count && block + 24 <= offset + length; i += 1, block += 24) {
        if (data.readUInt32BE(block) !== ssrc) continue;
        const lsr = data.readUInt32BE(block + 16);
        const dlsr = data.readUInt32BE(block + 20);
        if (lsr === 0) continue;
        const rtt = (ntpMiddle(nowMs) - lsr - dlsr) >>> 0;
        // A round trip over a minute is a clock or a packet gone wrong, not a path.
        if (rtt < 65536 * 60) seen.rttMs = Math.round((rtt / 65536) * 1000);
      }
    }
    offset += length;
  }
  return seen;
}

/** A sender report (no report blocks) for `ssrc`: NTP time now and its RTP timestamp, packets and octets sent. */
export function senderReport(ssrc: number, nowMs: number, rtpTimestamp: number, packets: number, octets: number): Buffer {
  const report = Buffer.alloc(28);
  report[0] = 0x80;
  report[1] = 200;
  report.writeUInt16BE(6, 2);
  report.writeUInt32BE(ssrc >>> 0, 4);
  const { seconds, fraction } = ntpNow(nowMs);
  report.writeUInt32BE(seconds, 8);
  report.writeUInt32BE(fraction, 12);
  report.writeUInt32BE(rtpTimestamp >>> 0, 16);
  report.writeUInt32BE(packets >>> 0, 20);
  report.writeUInt32BE(octets >>> 0, 24);
  return report;
}
