// The video codecs the agent's encoders make, as werift is told them, and which of a browser's
// offered entries matches one: shared by the agent's peers and the tests' werift peers. The
// table itself and the matching are the engine's (@pigeon/engine/codecs, loaded without the
// native library): this file only translates them into werift's codec parameters.
import { CODECS, RTCP_FEEDBACK, pickCodec as pickEntry, type VideoCodec } from '@pigeon/engine/codecs';
import { RTCRtpCodecParameters } from 'werift';

export type { VideoCodec };

/** A video codec the agent's encoders make, as werift is told it. */
export function codecParameters(codec: VideoCodec): RTCRtpCodecParameters {
  const spec = CODECS[codec];
  return new RTCRtpCodecParameters({
    mimeType: spec.mimeType,
    clockRate: spec.clockRate,
    rtcpFeedback: RTCP_FEEDBACK.map((feedback) => ({ ...feedback })),
    ...(spec.fmtp === undefined ? {} : { parameters: spec.fmtp }),
  });
}

/**
 * Of a browser's entries, the one for `codec` (for H.264: the encoder's exact profile first,
 * then any baseline one in packetization-mode 1). werift would otherwise answer with every H.264
 * entry it was offered.
 */
export function pickWeriftCodec(offered: RTCRtpCodecParameters[], codec: VideoCodec): RTCRtpCodecParameters | undefined {
  const entries = offered.map((parameters) => ({ name: parameters.mimeType.split('/')[1] ?? '', fmtp: parameters.parameters, parameters }));
  return pickEntry(entries, codec)?.parameters;
}

/** The first of `codecs` (in the agent's order of preference) that `offered` has. */
export function preferredWeriftCodec(offered: RTCRtpCodecParameters[], codecs: readonly VideoCodec[]): RTCRtpCodecParameters | undefined {
  for (const codec of codecs) {
    const found = pickWeriftCodec(offered, codec);
    if (found) return found;
  }
  return undefined;
}
