/**
 * Pigeon's signal codec: a WebRTC offer or answer ⇄ the few bytes the far side cannot know,
 * framed with a version and a checksum, as QR bytes or `pigeon:` text. Pure: no DOM, no Node.
 */
export { decodeBlob, encodeBlob, readFrame } from './blob.ts';
export type { DecodeOptions, DecodedBlob, EncodeOptions, EncodedBlob } from './blob.ts';
export { candidateDropped, type CandidateFilter } from './candidate-filter.ts';
export { isAgentCodec } from './codecs.ts';
export { SignalError, isSignalError } from './errors.ts';
export { PigeonError, describe, isPigeonError } from './pigeon-error.ts';
export type { Described } from './pigeon-error.ts';
export type { SignalErrorCode, TooLargeCode } from './errors.ts';
export { MAX_SDP_BYTES } from './fallback.ts';
export { FRAME_VERSION } from './frame.ts';
export type { BlobMode, BlobType, Candidate, Codec, MediaSection, Session } from './model.ts';
export { MAX_TEXT_CHARS, TEXT_PREFIX } from './text.ts';
export { LINK_MARK, frameToLink, linkDigits } from './link.ts';
export { MAX_MESSAGE_CHARS, PROTOCOL_VERSION, ProtocolError, encodeMessage, isBoxList, parseAgentMessage, parseViewerMessage } from './protocol.ts';
export type { AgentMessage, Box, ProtocolErrorCode, StreamLimits, StreamSettings, UnknownMessage, ViewerMessage } from './protocol.ts';
export { parseSdp } from './sdp-parse.ts';
export type { ParseOptions, ParsedSdp } from './sdp-parse.ts';
/** CRC-32 (IEEE), the frame's checksum; also PNG's, for pi-agent's QR images. */
export { crc32 } from './crc32.ts';
