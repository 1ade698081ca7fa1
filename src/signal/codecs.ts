import type { Codec, MediaKind } from './model.ts';

/**
 * The codecs a compact blob can name, each with a 4-bit id and a 4-bit variant that stands for
 * its fmtp line. Retransmission and FEC wrappers (rtx, red, ulpfec, flexfec) are not listed: a
 * compact blob drops them on both sides alike, so the two peers still agree on what was negotiated.
 */
export interface BlobCodecSpec {
  id: number;
  name: string;
  kind: Exclude<MediaKind, 'application'>;
  clockRate: number;
  channels?: number;
  /** Variant nibble for these params, or undefined when the table cannot express them. */
  variant(params: Record<string, string>): number | undefined;
  /** The params a variant stands for. `extra` holds the bytes some variants carry after it. */
  params(variant: number, extra: Uint8Array | undefined): Record<string, string> | undefined;
  /** How many extra bytes follow the variant nibble on the wire. */
  extraBytes(variant: number): number;
  extra?(params: Record<string, string>): Uint8Array;
  feedback: readonly string[];
}

const VIDEO_FEEDBACK = ['goog-remb', 'ccm fir', 'nack', 'nack pli'] as const;

/** Profile-level-ids browsers offer, most common first; index 7 means "three raw bytes follow". */
const H264_PROFILES = ['42e01f', '42001f', '4d001f', 'f4001f', '64001f', '640c1f', '42e02a'] as const;
const H264_RAW_PROFILE = 7;

const h264: BlobCodecSpec = {
  id: 2,
  name: 'H264',
  kind: 'video',
  clockRate: 90000,
  feedback: VIDEO_FEEDBACK,
  variant(params) {
    const mode = params['packetization-mode'] ?? '0';
    if (mode !== '0' && mode !== '1') return undefined;
    const profile = (params['profile-level-id'] ?? '42001f').toLowerCase();
    if (!/^[0-9a-f]{6}$/.test(profile)) return undefined;
    const known = (H264_PROFILES as readonly string[]).indexOf(profile);
    return (mode === '1' ? 8 : 0) | (known >= 0 ? known : H264_RAW_PROFILE);
  },
  extraBytes: (variant) => ((variant & 7) === H264_RAW_PROFILE ? 3 : 0),
  extra(params) {
    const hex = (params['profile-level-id'] ?? '42001f').toLowerCase();
    return Uint8Array.from([0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  },
  params(variant, extra) {
    const index = variant & 7;
    const profile =
      index === H264_RAW_PROFILE
        ? Array.from(extra ?? [], (b) => b.toString(16).padStart(2, '0')).join('')
        : H264_PROFILES[index];
    if (profile === undefined || profile.length !== 6) return undefined;
    return {
      'level-asymmetry-allowed': '1',
      'packetization-mode': variant & 8 ? '1' : '0',
      'profile-level-id': profile,
    };
  },
};

function noParams(id: number, name: string, kind: BlobCodecSpec['kind'], clockRate: number, channels?: number): BlobCodecSpec {
  return {
    id,
    name,
    kind,
    clockRate,
    ...(channels === undefined ? {} : { channels }),
    feedback: kind === 'video' ? VIDEO_FEEDBACK : [],
    variant: () => 0,
    params: (variant) => (variant === 0 ? {} : undefined),
    extraBytes: () => 0,
  };
}

/** VP9 and AV1 are named by one small profile number; other fmtp values are the browsers' defaults. */
function profiled(id: number, name: string, key: string, max: number, fixed: Record<string, string>): BlobCodecSpec {
  return {
    id,
    name,
    kind: 'video',
    clockRate: 90000,
    feedback: VIDEO_FEEDBACK,
    variant(params) {
      for (const [k, v] of Object.entries(fixed)) if ((params[k] ?? v) !== v) return undefined;
      const value = Number(params[key] ?? '0');
      return Number.isInteger(value) && value >= 0 && value <= max ? value : undefined;
    },
    params: (variant) => (variant <= max ? { ...fixed, [key]: String(variant) } : undefined),
    extraBytes: () => 0,
  };
}

const opus: BlobCodecSpec = {
  id: 8,
  name: 'opus',
  kind: 'audio',
  clockRate: 48000,
  channels: 2,
  feedback: ['transport-cc'],
  variant: () => 0,
  params: (variant) => (variant === 0 ? { minptime: '10', useinbandfec: '1' } : undefined),
  extraBytes: () => 0,
};

export const BLOB_CODECS: readonly BlobCodecSpec[] = [
  noParams(0, 'VP8', 'video', 90000),
  profiled(1, 'VP9', 'profile-id', 3, {}),
  h264,
  profiled(3, 'AV1', 'profile', 2, { 'level-idx': '5', tier: '0' }),
  opus,
  noParams(9, 'PCMU', 'audio', 8000),
  noParams(10, 'PCMA', 'audio', 8000),
  noParams(11, 'G722', 'audio', 8000),
];

export function codecSpecById(id: number): BlobCodecSpec | undefined {
  return BLOB_CODECS.find((spec) => spec.id === id);
}

export function codecSpecFor(kind: MediaKind, name: string): BlobCodecSpec | undefined {
  const lower = name.toLowerCase();
  return BLOB_CODECS.find((spec) => spec.kind === kind && spec.name.toLowerCase() === lower);
}

/**
 * What the Pi agent can send: H.264 in the baseline family (its x264 and V4L2 encoders make
 * constrained baseline, which any baseline decoder plays) with packetization-mode 1, and VP8.
 * A browser's offer reduced to these fits a small QR and loses nothing the agent could use.
 */
export function isAgentCodec(codec: Codec): boolean {
  if (codec.name.toUpperCase() === 'VP8') return true;
  if (codec.name.toUpperCase() !== 'H264') return false;
  const profile = (codec.params['profile-level-id'] ?? '').toLowerCase();
  return profile.startsWith('42') && codec.params['packetization-mode'] === '1';
}
