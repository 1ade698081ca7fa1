// Decisions a streaming session makes before it builds anything: which codecs it offers and how
// the QR reader's frames are sized. Separate from the session so the wiring stays a list of parts.
import { describe } from '@pigeon/signal';
import { buildBranchPipeline } from '../gst/branch-spec.ts';
import { checkElements } from '../gst/elements.ts';
import type { Report } from '../core/events.ts';
import type { StreamOptions } from '../cli/options.ts';
import type { VideoCodec } from '../webrtc/viewer-peer.ts';
import type { EncoderKind, ScanFrames, SourceKind } from '../gst/pipeline-spec.ts';

export const ENCODER_OF: Record<VideoCodec, EncoderKind> = { H264: 'x264', VP8: 'vp8' };

export interface Codecs {
  /** The --encoder's codec: the camera pipeline encodes it. */
  primary: VideoCodec;
  /** The other one, from a second encoder that runs only while a viewer needs it. */
  secondary: VideoCodec | undefined;
}

/**
 * The codec offered beside the --encoder's, for browsers that cannot play that one, unless
 * --single-codec or its encoder is not installed (then said once, and only one is offered).
 */
export async function chooseCodecs(options: StreamOptions, env: NodeJS.ProcessEnv, report: Report): Promise<Codecs> {
  const primary: VideoCodec = options.encoder === 'vp8' ? 'VP8' : 'H264';
  if (options.singleCodec) return { primary, secondary: undefined };
  const codec: VideoCodec = primary === 'VP8' ? 'H264' : 'VP8';
  const probe = buildBranchPipeline({ ...options, encoder: ENCODER_OF[codec], socketPath: '-', rtpPort: 1, rtcpPort: 1, rtcpInPort: 1 });
  try {
    await checkElements(probe.elements, { env });
    return { primary, secondary: codec };
  } catch (error) {
    const reason = describe(error).message.split('\n')[0] ?? '';
    report({ type: 'refused', code: 'E_SECOND_CODEC', reason: `offering ${primary} only, not ${codec} as well: ${reason}` });
    return { primary, secondary: undefined };
  }
}

/**
 * The QR reader's frames: at most 640 wide (a phone's QR held up close spans a third of that),
 * a multiple of 8 for unpadded GRAY8 rows, four a second.
 */
export function scanFrames(options: StreamOptions, source: SourceKind): ScanFrames | undefined {
  const wanted = options.scan ?? (source === 'libcamera' || source === 'v4l2' || source === 'hailo' || source === 'shm');
  if (!wanted) return undefined;
  const width = Math.max(64, Math.floor(Math.min(options.width, 640) / 8) * 8);
  const height = Math.max(64, Math.round((width * options.height) / options.width / 2) * 2);
  return { width, height, fps: 4 };
}
