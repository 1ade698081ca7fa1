import { ByteReader, ByteWriter } from './bytes.ts';
import { crc32 } from './crc32.ts';
import { SignalError } from './errors.ts';
import type { BlobMode, BlobType } from './model.ts';

/*
 * Frame, the bytes a QR code holds:
 *
 *   head      1 0 1 | version:2 | type:1 (offer, answer) | mode:1 (compact, fallback) | offer-id:1
 *   [offer]   2 bytes: the id of an offer (in an offer: its own; in an answer: the one it answers)
 *   length    varint: payload bytes
 *   payload   compact.ts or fallback.ts
 *   crc       CRC-32 of everything before it, big-endian
 *
 * The marker bits make the first byte non-ASCII, so a QR code holding some URL or text is told
 * apart from a Pigeon frame at once. The length tells a cut-short paste from a damaged one.
 */
export const FRAME_VERSION = 1;
const MARKER = 0b101;

export interface Frame {
  type: BlobType;
  mode: BlobMode;
  offerId: number | undefined;
  payload: Uint8Array;
}

export function encodeFrame(frame: Frame): Uint8Array {
  const hasId = frame.offerId !== undefined;
  if (hasId && !(Number.isInteger(frame.offerId) && frame.offerId! >= 0 && frame.offerId! <= 0xffff)) {
    throw new RangeError(`offer id must be an integer from 0 to 65535, not ${frame.offerId}`);
  }
  const writer = new ByteWriter().u8(
    (MARKER << 5) |
      (FRAME_VERSION << 3) |
      ((frame.type === 'answer' ? 1 : 0) << 2) |
      ((frame.mode === 'fallback' ? 1 : 0) << 1) |
      (hasId ? 1 : 0),
  );
  if (hasId) writer.u16(frame.offerId!);
  writer.varint(frame.payload.length).bytes(frame.payload);
  return writer.u32(crc32(writer.finish())).finish();
}

/** True when these bytes start like a frame (used to tell a binary QR from a text one). */
export function looksLikeFrame(bytes: ArrayLike<number>): boolean {
  return bytes.length > 0 && (bytes[0]! >> 5) === MARKER;
}

export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length === 0) throw new SignalError('E_NOT_PIGEON', 'empty');
  const head = bytes[0]!;
  if (head >> 5 !== MARKER) throw new SignalError('E_NOT_PIGEON', `first byte 0x${head.toString(16)}`);
  const version = (head >> 3) & 3;
  if (version === 0) throw new SignalError('E_NOT_PIGEON', 'version 0');
  if (version > FRAME_VERSION) throw new SignalError('E_NEWER_VERSION', `frame version ${version}`);
  const reader = new ByteReader(bytes, 'E_TRUNCATED');
  reader.u8();
  const offerId = head & 1 ? reader.u16() : undefined;
  const length = reader.varint();
  if (reader.remaining < length + 4) {
    throw new SignalError('E_TRUNCATED', `${bytes.length} bytes, ${reader.offset + length + 4} expected`);
  }
  if (reader.remaining > length + 4) {
    throw new SignalError('E_CHECKSUM', `${reader.remaining - length - 4} unexpected bytes at the end`);
  }
  const payload = reader.bytes(length);
  const expected = reader.u32();
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== expected) throw new SignalError('E_CHECKSUM');
  return { type: head & 4 ? 'answer' : 'offer', mode: head & 2 ? 'fallback' : 'compact', offerId, payload };
}
