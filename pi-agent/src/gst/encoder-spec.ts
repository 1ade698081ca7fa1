// The encoder and RTP payloader at the end of a sending pipeline (x264, the Pi 4's V4L2 H.264, VP8),
// as argv tokens.
import { el, link } from './gst-tokens.ts';
import type { PipelineOptions } from './pipeline-spec.ts';

export interface Encoder {
  tokens: string[];
  summary: string;
}

export type EncoderOptions = Pick<PipelineOptions, 'encoder' | 'fps' | 'bitrate' | 'keyframeInterval' | 'payloadType' | 'ssrc'>;

export function encoder(options: EncoderOptions): Encoder {
  const gop = Math.max(1, Math.round(options.fps * options.keyframeInterval));
  // timestamp-offset=0: each frame's RTP timestamp is its PTS (running time) at 90 kHz, so the
  // agent can name the frame a detection belongs to (frame-clock.ts); measured in frame-clock.test.ts.
  const pay = { pt: options.payloadType ?? 96, ssrc: options.ssrc, mtu: 1200, 'timestamp-offset': 0 };
  const h264pay = el('rtph264pay', { ...pay, 'config-interval': -1, 'aggregate-mode': 'zero-latency' });
  switch (options.encoder) {
    case 'x264':
      // No hardware H.264 on a Pi 5; ultrafast + zerolatency keeps a 720p30 stream on one or two cores.
      return {
        tokens: link(
          el('x264enc', { tune: 'zerolatency', 'speed-preset': 'ultrafast', bitrate: options.bitrate, 'key-int-max': gop }),
          ['video/x-h264,profile=constrained-baseline'],
          h264pay,
        ),
        summary: 'H.264 (x264)',
      };
    case 'v4l2h264':
      // The Pi 4's hardware encoder takes bitrate and GOP as V4L2 controls; without level in the
      // caps it fails to negotiate.
      return {
        tokens: link(
          el('v4l2h264enc', {
            'extra-controls': `controls,video_bitrate=${options.bitrate * 1000},h264_i_frame_period=${gop},repeat_sequence_header=1`,
          }),
          ['video/x-h264,level=(string)4,profile=(string)constrained-baseline'],
          h264pay,
        ),
        summary: 'H.264 (v4l2h264enc)',
      };
    case 'vp8':
      return {
        tokens: link(
          el('vp8enc', {
            deadline: 1,
            'cpu-used': 8,
            'end-usage': 'cbr',
            'target-bitrate': options.bitrate * 1000,
            'keyframe-max-dist': gop,
            'lag-in-frames': 0,
            'error-resilient': 'partitions',
            threads: 2,
          }),
          el('rtpvp8pay', { ...pay, 'picture-id-mode': '15-bit' }),
        ),
        summary: 'VP8',
      };
  }
}
