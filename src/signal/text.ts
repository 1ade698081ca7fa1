import { SignalError } from './errors.ts';
import { digitsToFrame, linkDigits } from './link.ts';

/**
 * The text form: `pigeon:` + base64url of the frame. Short, URL-safe (it can ride in a `#`
 * fragment), and forgiving of what pasting does: spaces and line breaks are ignored, and the
 * prefix may sit anywhere (so a whole URL can be pasted).
 */
export const TEXT_PREFIX = 'pigeon:';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Map([...ALPHABET].map((ch, i) => [ch, i]));

/**
 * The longest text a code is read from: a QR holds at most ~4 000 characters of it, and a
 * fallback blob of the largest SDP the codec takes (64 KiB, deflated) is shorter than this.
 * Longer text is refused before any work, so a runaway paste costs nothing.
 */
export const MAX_TEXT_CHARS = 64 * 1024;

export function bytesToText(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += ALPHABET[(n >> (18 - 6 * k)) & 63];
  }
  return TEXT_PREFIX + out;
}

/**
 * The bytes behind a text blob. `prefixed` is false when the text had no `pigeon:` and was
 * read as bare base64url: then only a frame that checks out may count as Pigeon's.
 */
export function readText(input: string): { bytes: Uint8Array; prefixed: boolean } {
  if (input.length > MAX_TEXT_CHARS) {
    throw new SignalError('E_TOO_LARGE', `${input.length} characters of text; a code is at most ${MAX_TEXT_CHARS}`);
  }
  const compact = input.replace(/\s+/g, '');
  const digits = linkDigits(compact);
  if (digits !== undefined) return { bytes: digitsToFrame(digits), prefixed: true };
  const at = compact.toLowerCase().lastIndexOf(TEXT_PREFIX);
  if (at >= 0) return { bytes: textToBytes(compact.slice(at + TEXT_PREFIX.length)), prefixed: true };
  // A loop, not /^[…]{8,}$/: V8's backtracking for that needs stack in proportion to the text.
  // Bare text counts only as a whole frame (blob.ts checks): a word of the right letters whose
  // length cannot be base64 is not a cut-short code.
  if (compact.length >= 8 && firstForeign(compact) === undefined && compact.length % 4 !== 1) return { bytes: textToBytes(compact), prefixed: false };
  throw new SignalError('E_NOT_PIGEON', compact === '' ? 'empty' : 'no "pigeon:" prefix');
}

/** The first character outside base64url, if any. */
function firstForeign(body: string): string | undefined {
  for (const ch of body) if (!VALUE.has(ch)) return ch;
  return undefined;
}

/** base64url (no padding) to bytes. */
export function textToBytes(body: string): Uint8Array {
  if (body === '') throw new SignalError('E_TRUNCATED', 'nothing after "pigeon:"');
  const bad = firstForeign(body);
  if (bad !== undefined) throw new SignalError('E_CHECKSUM', `unexpected character "${bad}"`);
  if (body.length % 4 === 1) throw new SignalError('E_TRUNCATED', 'text ends mid-byte');
  const out = new Uint8Array(Math.floor((body.length * 6) / 8));
  let acc = 0;
  let held = 0;
  let o = 0;
  for (const ch of body) {
    acc = ((acc << 6) | VALUE.get(ch)!) & 0xffff;
    held += 6;
    if (held >= 8) {
      held -= 8;
      out[o++] = (acc >> held) & 0xff;
    }
  }
  return out;
}
