/**
 * The wire between a page and pigeon-bridge (docs/bridge.md): the JSON messages each side may
 * send, the binary header of a video frame, and the errors either side throws on them. Pure, with
 * no DOM and no Node (its own tsconfig checks that): the bridge process imports it as the page does.
 */
export { BridgeError } from './errors.ts';
export type { BridgeErrorCode } from './errors.ts';
export { FRAME_HEADER_BYTES, decodeVideoFrame, encodeVideoFrame } from './frame.ts';
export type { BridgeFrame } from './frame.ts';
export { BRIDGE_PROTOCOL_VERSION, MAX_REQUEST_CHARS, encodeBridgeJson, parseBridgeMessage, parsePageRequest } from './protocol.ts';
export type { BridgeMessage, PageRequest, VideoCodecName, ViewerState } from './protocol.ts';
