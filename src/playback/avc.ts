/**
 * H.264 access units from Annex B (what the bridge sends) to the AVC form WebCodecs reads with a
 * `description`: parameter sets out of band in an avcC record, NAL units each behind a 4-byte
 * length. WebCodecs also reads Annex B without a description, and Chromium does; WebKitGTK 2.50
 * does not (its GStreamer decoder always asks h264parse for stream-format=avc and, without
 * codec_data, h264parse refuses the caps: "Decode error"), so the page always decodes the AVC
 * form, which both engines read. Pure.
 */

const AUD = 9;
const SPS = 7;
const PPS = 8;

/** The NAL units of an Annex B access unit, start codes removed (views, not copies). */
export function nalUnits(annexB: Uint8Array): Uint8Array[] {
  const starts: { at: number; length: number }[] = [];
  for (let i = 0; i + 2 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1) {
      const long = i > 0 && annexB[i - 1] === 0;
      starts.push({ at: long ? i - 1 : i, length: long ? 4 : 3 });
      i += 2;
    }
  }
  return starts.map((start, k) => annexB.subarray(start.at + start.length, starts[k + 1]?.at ?? annexB.length)).filter((unit) => unit.length > 0);
}

const nalType = (unit: Uint8Array): number => (unit[0] ?? 0) & 0x1f;

export interface AvcAccessUnit {
  /** The avcC record and codec string, when this access unit carries an SPS and a PPS. */
  config: { codec: string; description: Uint8Array } | undefined;
  /** The access unit's other NAL units, each behind its 4-byte length. */
  data: Uint8Array;
}

export function toAvc(annexB: Uint8Array): AvcAccessUnit {
  const units = nalUnits(annexB);
  const sps = units.find((unit) => nalType(unit) === SPS);
  const pps = units.find((unit) => nalType(unit) === PPS);
  const samples = units.filter((unit) => ![AUD, SPS, PPS].includes(nalType(unit)));
  const data = new Uint8Array(samples.reduce((sum, unit) => sum + 4 + unit.length, 0));
  const view = new DataView(data.buffer);
  let at = 0;
  for (const unit of samples) {
    view.setUint32(at, unit.length);
    data.set(unit, at + 4);
    at += 4 + unit.length;
  }
  return { config: sps && pps && sps.length >= 4 ? { codec: codecString(sps), description: avcC(sps, pps) } : undefined, data };
}

/** `avc1.PPCCLL` from the SPS: profile, constraint flags and level as the stream has them. */
function codecString(sps: Uint8Array): string {
  const hex = (byte: number | undefined): string => (byte ?? 0).toString(16).padStart(2, '0');
  return `avc1.${hex(sps[1])}${hex(sps[2])}${hex(sps[3])}`;
}

/** ISO/IEC 14496-15 AVCDecoderConfigurationRecord with one SPS and one PPS, 4-byte lengths. */
function avcC(sps: Uint8Array, pps: Uint8Array): Uint8Array {
  const record = new Uint8Array(11 + sps.length + pps.length);
  record.set([1, sps[1] ?? 0, sps[2] ?? 0, sps[3] ?? 0, 0xff, 0xe1, sps.length >> 8, sps.length & 0xff]);
  record.set(sps, 8);
  const at = 8 + sps.length;
  record.set([1, pps.length >> 8, pps.length & 0xff], at);
  record.set(pps, at + 3);
  return record;
}
