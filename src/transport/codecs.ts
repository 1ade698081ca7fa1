import { CONNECTION_MESSAGES, ConnectionError } from '../events/viewer-error.ts';

/** What the agent can send, by its --encoder names, for the advice in codec errors. */
const AGENT_ENCODERS: Record<string, string> = { H264: '--encoder x264 (or v4l2h264)', VP8: '--encoder vp8' };
/** Retransmission and FEC wrappers: not codecs a browser plays or a Pi sends. */
const WRAPPERS = new Set(['RTX', 'RED', 'ULPFEC', 'FLEXFEC-03']);

/** The video codecs this browser's WebRTC can receive, upper-case (`VP8`, `H264` …); undefined where it cannot say. */
export function playableVideoCodecs(): string[] | undefined {
  const codecs = globalThis.RTCRtpReceiver?.getCapabilities?.('video')?.codecs;
  if (!codecs) return undefined;
  return [...new Set(codecs.map((c) => c.mimeType.replace(/^video\//i, '').toUpperCase()).filter((name) => !WRAPPERS.has(name)))];
}

/** The video codecs an SDP offers, upper-case, in its order; refused (port 0) sections left out. */
export function offeredVideoCodecs(sdp: string): string[] {
  const names: string[] = [];
  for (const section of sdp.split(/\r?\n(?=m=)/)) {
    if (!/^m=video [1-9]/.test(section)) continue;
    for (const [, name] of section.matchAll(/^a=rtpmap:\d+ ([^/\s]+)\//gm)) {
      const upper = name!.toUpperCase();
      if (!WRAPPERS.has(upper) && !names.includes(upper)) names.push(upper);
    }
  }
  return names;
}

/** Codec names as people write them. */
export const spoken = (names: readonly string[]): string => names.map((n) => (n === 'H264' ? 'H.264' : n)).join(', ') || 'nothing';

/**
 * Said before any connection is made: a browser given only codecs it cannot play refuses the
 * video and may never finish its answer (Firefox without H.264 refuses the BUNDLE tag and never
 * gathers). Undefined when the offer can play here, or when the browser cannot say.
 */
export function unplayableOffer(offered: string[], playable: string[] | undefined): ConnectionError | undefined {
  if (!playable || offered.length === 0 || offered.some((name) => playable.includes(name))) return undefined;
  const usable = playable.filter((name) => AGENT_ENCODERS[name]).map((name) => AGENT_ENCODERS[name]);
  const only = offered.length === 1 ? `only ${spoken(offered)}` : spoken(offered);
  // The agent offers H.264 and VP8 unless it was started with --single-codec.
  const advice =
    usable.length > 0
      ? `start the agent without --single-codec (it then offers H.264 and VP8), or with ${usable.join(' or ')}`
      : 'open this page in a browser that plays H.264 or VP8 (Chromium, Chrome, Edge, Safari)';
  return new ConnectionError('E_CODEC_UNPLAYABLE', {
    message: `This browser cannot play ${spoken(offered)} and the Pi offered ${only} — ${advice}. This browser plays ${spoken(playable)}.`,
  });
}

/** Before this page offers: undefined when it can play something a Pi sends (or cannot say). */
export function unplayableAgent(playable: string[] | undefined): ConnectionError | undefined {
  if (!playable || playable.some((name) => AGENT_ENCODERS[name])) return undefined;
  return new ConnectionError('E_CODEC_UNPLAYABLE', {
    message: `${CONNECTION_MESSAGES.E_CODEC_UNPLAYABLE} A Pi sends H.264 or VP8; this browser plays ${spoken(playable)}.`,
  });
}
