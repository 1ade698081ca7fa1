import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * Who may open the bridge's WebSocket. The secret in the path is the lock: the bridge is on a
 * loopback port any local program or web page could knock on, and only its parent (which read
 * the URL from its stdout) knows the secret. The peer address and the Origin are a second fence:
 * no other machine (the socket listens on 127.0.0.1 only; this says so again), and no web page
 * from elsewhere that got hold of the URL.
 */
export interface Knock {
  /** The request's path, e.g. `/SECRET`; a query string is ignored. */
  path: string;
  /** The `Origin` header; undefined from programs that are not browsers. */
  origin: string | undefined;
  remoteAddress: string | undefined;
}

export interface Refusal {
  status: 403 | 404;
  code: 'E_WRONG_SECRET' | 'E_NOT_LOOPBACK' | 'E_ORIGIN';
  reason: string;
}

/**
 * Origins a page that is allowed to use the bridge has: a page opened from disk (Chromium says
 * `null`, WebKitGTK `file://`), Tauri's (`tauri://localhost` on Linux and macOS,
 * `http(s)://tauri.localhost` on Windows), and pages served from this machine (`localhost`,
 * `127.0.0.1`, `[::1]`, any port, as Vite's dev server or `pi-agent --serve-page` on this
 * machine). Any other must be named with --allow-origin.
 */
const LOCAL_ORIGIN = /^(?:null|file:\/\/|tauri:\/\/localhost|https?:\/\/tauri\.localhost|https?:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?)$/i;

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  return LOCAL_ORIGIN.test(origin) || allowed.some((entry) => entry.toLowerCase() === origin.toLowerCase());
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why `knock` is turned away, or undefined to let it in. */
export function accessRefusal(knock: Knock, secret: string, allowedOrigins: readonly string[]): Refusal | undefined {
  if (!isLoopback(knock.remoteAddress)) {
    return { status: 403, code: 'E_NOT_LOOPBACK', reason: `a connection from ${knock.remoteAddress ?? 'an unknown address'}: the bridge serves this machine only` };
  }
  const given = knock.path.split('?')[0]?.replace(/^\//, '') ?? '';
  if (!sameSecret(given, secret)) return { status: 404, code: 'E_WRONG_SECRET', reason: 'a connection without the secret of this launch (the URL is printed when the bridge starts)' };
  if (!originAllowed(knock.origin, allowedOrigins)) {
    return { status: 403, code: 'E_ORIGIN', reason: `a page from ${knock.origin?.slice(0, 100) ?? ''}; allow it with --allow-origin if it is yours` };
  }
  return undefined;
}
