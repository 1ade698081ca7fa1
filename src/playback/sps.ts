/**
 * The picture size an H.264 sequence parameter set describes (ITU-T H.264 7.3.2.1.1), for an MP4
 * track header: an fMP4 init segment says the size in `tkhd` and `avc1`, which the SPS alone
 * carries. Reads as far as the frame cropping and no further. Pure.
 */

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices (H.264 7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

export interface SpsSize {
  width: number;
  height: number;
}

/** The cropped picture size of an SPS NAL unit (its 1-byte header included); undefined if it ends too soon. */
export function spsSize(sps: Uint8Array): SpsSize | undefined {
  try {
    return readSize(new Bits(unescape(sps.subarray(1))));
  } catch {
    return undefined;
  }
}

/** The size the SPS inside an avcC record (ISO/IEC 14496-15, one SPS first) describes. */
export function avcCSize(avcC: Uint8Array): SpsSize | undefined {
  if (avcC.length < 8 || ((avcC[5] ?? 0) & 0x1f) === 0) return undefined;
  const length = ((avcC[6] ?? 0) << 8) | (avcC[7] ?? 0);
  return spsSize(avcC.subarray(8, 8 + length));
}

function readSize(bits: Bits): SpsSize {
  const profile = bits.u(8);
  bits.u(16); // constraint flags, level
  bits.ue(); // seq_parameter_set_id
  let chromaFormat = 1;
  let separatePlanes = 0;
  if (HIGH_PROFILES.has(profile)) {
    chromaFormat = bits.ue();
    if (chromaFormat === 3) separatePlanes = bits.u(1);
    bits.ue(); // bit_depth_luma_minus8
    bits.ue(); // bit_depth_chroma_minus8
    bits.u(1); // qpprime_y_zero_transform_bypass_flag
    if (bits.u(1)) {
      for (let i = 0; i < (chromaFormat === 3 ? 12 : 8); i++) if (bits.u(1)) skipScalingList(bits, i < 6 ? 16 : 64);
    }
  }
  bits.ue(); // log2_max_frame_num_minus4
  const pocType = bits.ue();
  if (pocType === 0) bits.ue();
  else if (pocType === 1) {
    bits.u(1);
    bits.se();
    bits.se();
    const cycle = bits.ue();
    for (let i = 0; i < cycle; i++) bits.se();
  }
  bits.ue(); // max_num_ref_frames
  bits.u(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = bits.ue() + 1;
  const heightInMapUnits = bits.ue() + 1;
  const frameMbsOnly = bits.u(1);
  if (!frameMbsOnly) bits.u(1); // mb_adaptive_frame_field_flag
  bits.u(1); // direct_8x8_inference_flag
  const crop = bits.u(1) ? { left: bits.ue(), right: bits.ue(), top: bits.ue(), bottom: bits.ue() } : { left: 0, right: 0, top: 0, bottom: 0 };
  // Crop units (H.264 table 6-1 and 7.4.2.1.1): chroma samples, or luma where there is no chroma.
  const monochrome = chromaFormat === 0 || separatePlanes === 1;
  const unitX = monochrome || chromaFormat === 3 ? 1 : 2;
  const unitY = (monochrome || chromaFormat !== 1 ? 1 : 2) * (2 - frameMbsOnly);
  return {
    width: widthInMbs * 16 - (crop.left + crop.right) * unitX,
    height: (2 - frameMbsOnly) * heightInMapUnits * 16 - (crop.top + crop.bottom) * unitY,
  };
}

function skipScalingList(bits: Bits, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + bits.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** The RBSP: emulation prevention bytes (00 00 03) taken out. */
function unescape(nal: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    // Judged on the bytes as sent: after an escape, two new zeros are needed for another.
    if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) continue;
    out.push(nal[i]!);
  }
  return Uint8Array.from(out);
}

/** Big-endian bits with Exp-Golomb codes; throws past the end. */
class Bits {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  u(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.bytes[this.at >> 3];
      if (byte === undefined) throw new RangeError('the SPS ends too soon');
      value = value * 2 + ((byte >> (7 - (this.at & 7))) & 1);
      this.at++;
    }
    return value;
  }

  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) throw new RangeError('an Exp-Golomb code longer than 32 bits');
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}
