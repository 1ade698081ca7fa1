import { compactLimits, decodeCompact, encodeCompact } from './compact.ts';
import { SignalError } from './errors.ts';
import { MAX_SDP_BYTES, deflateSdp, inflateSdp, trimForFallback } from './fallback.ts';
import { decodeFrame, encodeFrame, looksLikeFrame, type Frame } from './frame.ts';
import type { BlobMode, BlobType, Session } from './model.ts';
import { buildSdp } from './sdp-build.ts';
import { parseSdp, type ParseOptions } from './sdp-parse.ts';
import { MAX_TEXT_CHARS, bytesToText, readText } from './text.ts';

export interface EncodeOptions extends ParseOptions {
  /** The offer's id: an offer's own, or, in an answer, the id of the offer it answers. */
  offerId?: number;
  /** `auto` (the default) is compact when nothing would be lost, else fallback. */
  mode?: BlobMode | 'auto';
}

export interface EncodedBlob {
  type: BlobType;
  mode: BlobMode;
  offerId: number | undefined;
  /** The frame: what a QR code holds in byte mode. */
  bytes: Uint8Array;
  /** `pigeon:…`, for pasting and for URL fragments. */
  text: string;
  /** Why compact mode was not used, when it was not. */
  fallbackReasons: string[];
}

export interface DecodedBlob {
  type: BlobType;
  mode: BlobMode;
  offerId: number | undefined;
  /** Frame size in bytes. */
  bytes: number;
  /** The frame itself, e.g. to show the same blob again as a binary QR. */
  frame: Uint8Array;
  sdp: string;
  /** The session's fields: as carried (compact), or as read from the inflated SDP (fallback). */
  session: Session;
}

export interface DecodeOptions {
  /** Refuse the other type with E_EXPECTED_OFFER / E_EXPECTED_ANSWER. */
  expect?: BlobType;
}

/** Squeeze a session description into a blob. Throws SignalError for an SDP that could never connect. */
export function encodeBlob(description: { type: BlobType; sdp: string }, options: EncodeOptions = {}): EncodedBlob {
  const { type, sdp } = description;
  if (type !== 'offer' && type !== 'answer') throw new SignalError('E_SDP_UNSUPPORTED', `description type ${String(type)}`);
  // Decoding refuses more than this, so no blob is made that could not be read back.
  if (sdp.length > MAX_SDP_BYTES) throw new SignalError('E_TOO_LARGE', `an SDP of ${sdp.length} characters; at most ${MAX_SDP_BYTES}`);
  const { session, notCompact } = parseSdp(sdp, options);
  const reasons = [...notCompact, ...compactLimits(session)];
  const mode: BlobMode = options.mode === 'fallback' || (options.mode !== 'compact' && reasons.length > 0) ? 'fallback' : 'compact';
  if (mode === 'compact' && reasons.length > 0) throw new SignalError('E_SDP_UNSUPPORTED', reasons.join('; '));
  const payload = mode === 'compact' ? encodeCompact(session) : deflateSdp(trimForFallback(sdp, options));
  const bytes = encodeFrame({ type, mode, offerId: options.offerId, payload });
  return { type, mode, offerId: options.offerId, bytes, text: bytesToText(bytes), fallbackReasons: mode === 'fallback' ? reasons : [] };
}

/**
 * Read a blob from what a person or a scanner hands over: the text form (with or without line
 * breaks, alone or inside a URL), the raw frame bytes of a binary QR, or a QR that holds the text.
 */
export function decodeBlob(input: string | ArrayLike<number>, options: DecodeOptions = {}): DecodedBlob {
  const { bytes, frame } = readFrame(input);
  if (options.expect === 'offer' && frame.type !== 'offer') throw new SignalError('E_EXPECTED_OFFER');
  if (options.expect === 'answer' && frame.type !== 'answer') throw new SignalError('E_EXPECTED_ANSWER');
  if (frame.mode === 'compact') {
    const session = decodeCompact(frame.payload);
    return { type: frame.type, mode: frame.mode, offerId: frame.offerId, bytes: bytes.length, frame: bytes, sdp: buildSdp(session), session };
  }
  // A checksum only proves the bytes arrived as sent: what they inflate to must still be an SDP
  // (E_SDP_INVALID, E_SDP_NO_ICE, E_SDP_NO_FINGERPRINT say what is missing).
  const sdp = inflateSdp(frame.payload);
  const { session } = parseSdp(sdp, { mdns: 'keep' });
  return { type: frame.type, mode: frame.mode, offerId: frame.offerId, bytes: bytes.length, frame: bytes, sdp, session };
}

/**
 * Only the frame of a blob: prefix, length and checksum checked, the payload not decoded. As
 * cheap as a CRC, for telling a paste that is whole (or damaged) from one cut short so far; it
 * throws what decodeBlob would for the same input up to that point.
 */
export function readFrame(input: string | ArrayLike<number>): { bytes: Uint8Array; frame: Frame } {
  const { bytes, prefixed } = toFrameBytes(input);
  try {
    return { bytes, frame: decodeFrame(bytes) };
  } catch (error) {
    // Bare base64url-looking text that is not a whole frame is most likely not ours at all.
    if (!prefixed) throw new SignalError('E_NOT_PIGEON', 'no "pigeon:" prefix', { cause: error });
    throw error;
  }
}

function toFrameBytes(input: string | ArrayLike<number>): { bytes: Uint8Array; prefixed: boolean } {
  if (typeof input === 'string') return readText(input);
  if (input.length > MAX_TEXT_CHARS) throw new SignalError('E_TOO_LARGE', `${input.length} bytes; a code is at most ${MAX_TEXT_CHARS}`);
  if (looksLikeFrame(input)) return { bytes: Uint8Array.from(input), prefixed: true };
  // A QR code may hold the text form; anything else that is not a frame is refused there too.
  return readText(String.fromCharCode(...Array.from(input).slice(0, 8192)));
}
