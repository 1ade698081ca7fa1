// The one codec table: the video codecs Pigeon sends and receives (the agent's encoders make
// them; the bridge decodes them), as every peer of the agent and the bridge describes them, and
// which of a remote description's entries matches one.

export type VideoCodec = 'H264' | 'VP8';

export interface CodecSpec {
  /** The payload type our own offers give it. */
  payloadType: number;
  /** As an rtpmap names it. */
  name: 'H264' | 'VP8';
  mimeType: 'video/H264' | 'video/VP8';
  clockRate: 90000;
  /** The fmtp line's parameters, if any: H.264 constrained baseline, packetization-mode 1. */
  fmtp: string | undefined;
}

export const CODECS: Readonly<Record<VideoCodec, CodecSpec>> = {
  H264: {
    payloadType: 96,
    name: 'H264',
    mimeType: 'video/H264',
    clockRate: 90000,
    fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  },
  VP8: { payloadType: 97, name: 'VP8', mimeType: 'video/VP8', clockRate: 90000, fmtp: undefined },
};

/** The RTCP feedback every video codec is offered with: NACK, PLI, FIR and REMB. */
export const RTCP_FEEDBACK: readonly { type: string; parameter?: string }[] = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'goog-remb' },
];

/** How people call a codec in a message. */
export const codecLabel = (codec: VideoCodec): string => (codec === 'H264' ? 'H.264 baseline (packetization-mode 1)' : 'VP8');

/** One codec entry of a remote description's video section. */
export interface OfferedCodec {
  payloadType: number;
  /** The rtpmap's encoding name, as written (H264, h264, VP8 …). */
  name: string;
  /** The fmtp parameters, if the entry has any. */
  fmtp: string | undefined;
}

function fmtpValue(entry: { fmtp: string | undefined }, key: string): string | undefined {
  return entry.fmtp?.split(';').map((p) => p.trim().split('=')).find(([k]) => k?.toLowerCase() === key)?.[1]?.toLowerCase();
}

/**
 * Of a description's entries, the one for `codec`: for H.264, prefer the exact profile the
 * encoder makes (constrained baseline, packetization-mode 1), then any baseline one in mode 1.
 */
export function pickCodec<T extends { name: string; fmtp: string | undefined }>(offered: readonly T[], codec: VideoCodec): T | undefined {
  const same = offered.filter((entry) => entry.name.toUpperCase() === codec);
  if (codec === 'VP8') return same[0];
  const mode1 = same.filter((entry) => fmtpValue(entry, 'packetization-mode') === '1');
  return mode1.find((entry) => fmtpValue(entry, 'profile-level-id')?.startsWith('42e0')) ?? mode1.find((entry) => fmtpValue(entry, 'profile-level-id')?.startsWith('42'));
}

/** The first of `codecs` (in order of preference) that `offered` has, with which codec it is. */
export function preferred<T extends { name: string; fmtp: string | undefined }>(
  offered: readonly T[],
  codecs: readonly VideoCodec[],
): { codec: VideoCodec; entry: T } | undefined {
  for (const codec of codecs) {
    const entry = pickCodec(offered, codec);
    if (entry) return { codec, entry };
  }
  return undefined;
}
