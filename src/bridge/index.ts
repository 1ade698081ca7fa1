/**
 * The page's side of pigeon-bridge (bridge/): a WebSocket client, the wire formats it shares
 * with the bridge, a WebCodecs decoder that draws onto a canvas, and an MSE player (fragmented
 * MP4) for engines without WebCodecs. No dependency on the
 * page's elements or controllers.
 */
export { BridgeClient, checkBridgeUrl } from './client.ts';
export type { BridgeAnswer, BridgeClientEvents, BridgeOffer, BridgeStatus } from './client.ts';
export { CanvasDecoder, WEBCODECS_CODEC, decodableCodecs } from './decoder.ts';
export type { DecoderStats, FrameSink } from './decoder.ts';
export { MsePlayer, MSE_H264_TYPE, mseCodecs } from './mse-player.ts';
export { initSegment, mediaSegment } from './fmp4.ts';
export type { InitOptions, Sample } from './fmp4.ts';
export { BridgeError } from './errors.ts';
export type { BridgeErrorCode } from './errors.ts';
export { FRAME_HEADER_BYTES, decodeVideoFrame, encodeVideoFrame } from './frame.ts';
export type { BridgeFrame } from './frame.ts';
export { BRIDGE_PROTOCOL_VERSION, parseBridgeMessage, parsePageRequest } from './protocol.ts';
export type { BridgeMessage, PageRequest, VideoCodecName, ViewerState } from './protocol.ts';
