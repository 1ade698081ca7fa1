import { SignalError } from './errors.ts';

/**
 * The link form: `<page URL>#P:<digits>`, what a phone's own camera app opens. The frame rides in
 * the fragment (never sent to any server) as one decimal number, because a QR code holds digits
 * at 3.3 bits each against 8 for base64url text: a Pigeon offer link fits version 6 where
 * `#pigeon:` text needs 7 or 8. A leading 1 before the frame's bytes keeps its leading zeros.
 */
export const LINK_MARK = 'P:';
/** More digits than any frame needs; stops a pasted novel from costing a BigInt conversion. */
const MAX_DIGITS = 4096;

export function frameToDigits(bytes: Uint8Array): string {
  let n = 1n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  return n.toString();
}

export function digitsToFrame(digits: string): Uint8Array {
  if (digits.length > MAX_DIGITS) throw new SignalError('E_TOO_LARGE', `a link code of ${digits.length} digits is longer than any Pigeon code`);
  let n = BigInt(digits);
  const out: number[] = [];
  while (n > 1n) {
    out.push(Number(n & 0xffn));
    n >>= 8n;
  }
  if (n !== 1n) throw new SignalError('E_CHECKSUM', 'the digits after "#P:" are not a Pigeon code (damaged or cut short)');
  return Uint8Array.from(out.reverse());
}

/** `pageUrl` (its own fragment dropped) with the frame in the fragment. */
export function frameToLink(pageUrl: string, bytes: Uint8Array): string {
  const hash = pageUrl.indexOf('#');
  return `${hash < 0 ? pageUrl : pageUrl.slice(0, hash)}#${LINK_MARK}${frameToDigits(bytes)}`;
}

/** The digits of a link form at the end of some text (a whole link, or a bare `P:` fragment), if any. */
export function linkDigits(text: string): string | undefined {
  return /(?:^|#)p:(\d+)$/i.exec(text)?.[1];
}
