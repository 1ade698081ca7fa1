/**
 * Showing encoded video frames in a page (the bridge's, where the engine has no WebRTC): decoded
 * with WebCodecs onto a canvas, or muxed into fragmented MP4 and played through Media Source
 * Extensions in a `<video>`. Knows frames, not where they come from.
 */
export { CanvasDecoder, WEBCODECS_CODEC, decodableCodecs } from './decoder.ts';
export type { DecoderStats, FrameSink } from './decoder.ts';
export { MsePlayer, MSE_H264_TYPE, mseCodecs } from './mse-player.ts';
export { initSegment, mediaSegment } from './fmp4.ts';
export type { InitOptions, Sample } from './fmp4.ts';
