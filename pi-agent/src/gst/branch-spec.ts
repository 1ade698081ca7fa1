// A second encoder for the same camera, as a pipeline of its own: it reads the camera pipeline's
// raw frames from a shared-memory socket (PipelineOptions.share), so it can start when the first
// viewer whose browser wants its codec joins and stop after the last one leaves, without the
// camera pipeline (and everyone watching through it) noticing. Its RTP reaches the agent over
// loopback exactly like the camera pipeline's.
import { el, elementNames, link, queue } from './gst-tokens.ts';
import { RTPBIN_ELEMENT, RTPBIN_SINK, debianPackage, encoder, rtpTail, type EncoderOptions, type PipelineOptions, type PipelineSpec } from './pipeline-spec.ts';

export type BranchOptions = EncoderOptions &
  Pick<PipelineOptions, 'width' | 'height' | 'rtpPort' | 'rtcpPort' | 'rtcpInPort'> & {
    socketPath: string;
  };

export function buildBranchPipeline(options: BranchOptions): PipelineSpec {
  const { width, height, fps, socketPath } = options;
  const enc = encoder(options);
  const args = [
    ...RTPBIN_ELEMENT,
    ...link(
      el('shmsrc', { 'socket-path': socketPath, 'is-live': true, 'do-timestamp': true }),
      [`video/x-raw,format=I420,width=${width},height=${height},framerate=${fps}/1`],
      // A slow encoder drops stale frames here instead of building latency.
      queue(2, 'downstream'),
      enc.tokens,
      [RTPBIN_SINK],
    ),
    ...rtpTail(options),
  ];
  const elements = [...new Set(elementNames(args))].map((name) => ({ name, debianPackage: debianPackage(name) }));
  return {
    args,
    elements,
    description: `camera frames from ${socketPath} -> ${enc.summary} ${options.bitrate} kbit/s -> RTP to 127.0.0.1:${options.rtpPort}`,
  };
}
