import type { QRCodeSegment } from 'qrcode';

/** Characters QR alphanumeric mode holds (5.5 bits each) that have no upper/lower case. */
const CASELESS_ALNUM = /^[0-9 $%*+\-./:]*/;

/**
 * A link as QR segments that keep the code small: scheme and host (case-insensitive, so
 * upper-cased) in alphanumeric mode, the path in byte mode, a link form's `#P:` digits in
 * numeric mode. Anything else, or a host alphanumeric mode cannot hold (IPv6 brackets, `_`, a
 * user name), goes in byte mode as it is.
 */
export function linkSegments(link: string): QRCodeSegment[] {
  const bytes = (text: string): QRCodeSegment => ({ data: new TextEncoder().encode(text), mode: 'byte' });
  const parts = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^#]*#[Pp]:)?(\d+)?$/.exec(link) ?? /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)(.*)$/.exec(link);
  const head = parts?.[1]?.toUpperCase();
  if (!parts || head === undefined || !/^[0-9A-Z $%*+\-./:]+$/.test(head)) return [bytes(link)];
  const digits = parts[3];
  let rest = parts[2] ?? '';
  // A path's leading "/" (and any caseless run) costs less beside the host than in byte mode.
  const caseless = CASELESS_ALNUM.exec(rest)?.[0] ?? '';
  rest = rest.slice(caseless.length);
  const segments: QRCodeSegment[] = [{ data: head + caseless, mode: 'alphanumeric' }];
  if (rest) segments.push(bytes(rest));
  if (digits) segments.push({ data: digits, mode: 'numeric' });
  return segments;
}
