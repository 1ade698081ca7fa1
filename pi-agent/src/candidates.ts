import { networkInterfaces } from 'node:os';
import { AgentError } from './errors.ts';

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
