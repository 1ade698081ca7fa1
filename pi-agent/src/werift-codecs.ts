// The video codecs the agent's encoders make, as werift is told them, and which of a browser's
// offered entries matches one: shared by the agent's peers and the tests' werift peers.
import { RTCRtpCodecParameters } from 'werift';

export type VideoCodec = 'H264' | 'VP8';

const FEEDBACK = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }, { type: 'goog-remb' }];

/** A video codec the agent's encoders make, as werift is told it. */
export function codecParameters(codec: VideoCodec): RTCRtpCodecParameters {
  return codec === 'H264'
    ? new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        rtcpFeedback: FEEDBACK,
        parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      })
    : new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: FEEDBACK });
}

function fmtp(codec: RTCRtpCodecParameters, key: string): string | undefined {
  return codec.parameters?.split(';').map((p) => p.split('=')).find(([k]) => k === key)?.[1]?.toLowerCase();
}

/**
 * What the encoder makes is constrained baseline with packetization-mode 1; of a browser's H.264
 * entries, prefer that exact profile, then any baseline one. werift would otherwise answer with
 * every H.264 entry it was offered.
 */
export function pickCodec(offered: RTCRtpCodecParameters[], codec: VideoCodec): RTCRtpCodecParameters | undefined {
  const same = offered.filter((c) => c.mimeType.toLowerCase() === `video/${codec.toLowerCase()}`);
  if (codec === 'VP8') return same[0];
  const mode1 = same.filter((c) => fmtp(c, 'packetization-mode') === '1');
  return (
    mode1.find((c) => fmtp(c, 'profile-level-id')?.startsWith('42e0')) ?? mode1.find((c) => fmtp(c, 'profile-level-id')?.startsWith('42'))
  );
}

/** The first of `codecs` (in the agent's order of preference) that `offered` has. */
export function preferred(offered: RTCRtpCodecParameters[], codecs: readonly VideoCodec[]): RTCRtpCodecParameters | undefined {
  for (const codec of codecs) {
    const found = pickCodec(offered, codec);
    if (found) return found;
  }
  return undefined;
}
