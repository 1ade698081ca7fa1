import { networkInterfaces } from 'node:os';
import { AgentError } from '../core/errors.ts';

/**
 * Which host addresses the offer may carry. Every candidate left out is 7 (IPv4) or 19 (IPv6)
 * bytes less in the QR, and an address the viewer cannot reach only slows the connection.
 */
export function addressesOf(interfaceName: string): string[] {
  const found = networkInterfaces()[interfaceName];
  if (!found) {
    const known = Object.keys(networkInterfaces()).join(', ');
    throw new AgentError('E_USAGE', `no network interface "${interfaceName}" (this machine has: ${known})`);
  }
  return found.map((info) => info.address);
}

/**
 * The one address --serve-page listens on: the first one the offer carries (--ip, then
 * --interface's IPv4), else this machine's first non-loopback IPv4 address, which is where a
 * phone on the same network finds the Pi.
 */
export function pageAddress(ips: readonly string[], interfaceName: string | undefined): string {
  if (ips[0] !== undefined) return ips[0];
  const candidates = interfaceName
    ? (networkInterfaces()[interfaceName] ?? [])
    : Object.values(networkInterfaces()).flatMap((infos) => infos ?? []).filter((info) => !info.internal);
  const found = candidates.find((info) => info.family === 'IPv4') ?? candidates[0];
  if (!found) throw new AgentError('E_USAGE', `no network address to serve the page on${interfaceName ? ` on ${interfaceName}` : ''}; give one with --ip`);
  return found.address;
}

const address = (line: string): string => (line.split(' ')[4] ?? '').toLowerCase();

/**
 * Drops candidate lines whose address is not in `allowed` (an empty list allows all). Refuses
 * to leave none: an offer without an address could never be reached.
 */
export function keepCandidates(sdp: string, allowed: readonly string[]): string {
  if (allowed.length === 0) return sdp;
  const keep = new Set(allowed.map((a) => a.toLowerCase()));
  const lines = sdp.split(/\r?\n/);
  const found = [...new Set(lines.filter((l) => l.startsWith('a=candidate:')).map(address))];
  if (!found.some((a) => keep.has(a))) {
    throw new AgentError(
      'E_USAGE',
      `none of the addresses WebRTC found here (${found.join(', ') || 'none'}) is one of --ip/--interface (${allowed.join(', ')})`,
    );
  }
  return lines.filter((line) => !line.startsWith('a=candidate:') || keep.has(address(line))).join('\r\n');
}
