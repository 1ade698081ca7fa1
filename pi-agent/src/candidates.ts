import { networkInterfaces } from 'node:os';

/**
 * Which host addresses the offer may carry. Every candidate left out is 7 (IPv4) or 19 (IPv6)
 * bytes less in the QR, and an address the viewer cannot reach only slows the connection.
 */
export function addressesOf(interfaceName: string): string[] {
  const found = networkInterfaces()[interfaceName];
  if (!found) {
    const known = Object.keys(networkInterfaces()).join(', ');
    throw new Error(`no network interface "${interfaceName}" (this machine has: ${known})`);
  }
  return found.map((info) => info.address);
}

/** Drops candidate lines whose address is not in `allowed` (an empty list allows all). */
export function keepCandidates(sdp: string, allowed: readonly string[]): string {
  if (allowed.length === 0) return sdp;
  const keep = new Set(allowed.map((a) => a.toLowerCase()));
  return sdp
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('a=candidate:') || keep.has((line.split(' ')[4] ?? '').toLowerCase()))
    .join('\r\n');
}
