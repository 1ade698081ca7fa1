// The little SDP the engine reads and writes itself: a remote description's video section and
// fingerprint, and the edits it makes to its own description before giving it out.
import type { OfferedCodec } from './codecs.ts';

const lines = (sdp: string): string[] => sdp.split(/\r?\n/).filter((line) => line.length > 0);

export interface VideoSection {
  mid: string;
  direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  codecs: OfferedCodec[];
  /** Port 0: refused by the answerer. */
  rejected: boolean;
}

/** The first m=video section of `sdp`, or undefined if there is none. */
export function videoSection(sdp: string): VideoSection | undefined {
  const all = lines(sdp);
  const start = all.findIndex((line) => line.startsWith('m=video '));
  if (start < 0) return undefined;
  const end = all.findIndex((line, i) => i > start && line.startsWith('m='));
  const section = all.slice(start, end < 0 ? undefined : end);
  const [, port = '0', , ...formats] = (section[0] ?? '').split(' ');
  const attr = (name: string): string[] => section.filter((l) => l.startsWith(`a=${name}:`)).map((l) => l.slice(name.length + 3));
  const fmtps = new Map(attr('fmtp').map((v) => [v.split(' ')[0], v.slice(v.indexOf(' ') + 1)] as const));
  const names = new Map(attr('rtpmap').map((v) => [v.split(' ')[0], (v.split(' ')[1] ?? '').split('/')[0] ?? ''] as const));
  const direction = (['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const).find((d) => section.includes(`a=${d}`)) ?? 'sendrecv';
  return {
    mid: attr('mid')[0] ?? '0',
    direction,
    rejected: port === '0',
    codecs: formats.filter((f) => names.has(f)).map((f) => ({ payloadType: Number(f), name: names.get(f) ?? '', fmtp: fmtps.get(f) })),
  };
}

/** The a=fingerprint of `sdp` (session or first section), as `algorithm` and upper-case hex. */
export function fingerprintOf(sdp: string): { algorithm: string; value: string } | undefined {
  const line = lines(sdp).find((l) => l.startsWith('a=fingerprint:'));
  if (!line) return undefined;
  const [algorithm = '', value = ''] = line.slice('a=fingerprint:'.length).trim().split(/\s+/);
  return { algorithm: algorithm.toLowerCase(), value: value.toUpperCase() };
}

const isIpv6Candidate = (line: string): boolean => line.startsWith('a=candidate:') && (line.split(' ')[4] ?? '').includes(':');

/** The ports of `sdp`'s candidates, in order, each once. */
export function candidatePorts(sdp: string): number[] {
  return [...new Set(lines(sdp).filter((l) => l.startsWith('a=candidate:')).map((l) => Number(l.split(' ')[5])))].filter((port) => port > 0);
}

/** Without IPv6 candidates (the user did not ask for IPv6). */
export function withoutIpv6(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => !isIpv6Candidate(line))
    .join('\r\n');
}

/**
 * Our own offer as we give it out: `a=setup:active` (we are the DTLS client, see EnginePeer.offer)
 * and the data channel's advertised max-message-size set to the cap itself (the library is
 * configured one byte over it, see EnginePeer).
 */
export function asOurOffer(sdp: string, maxMessageBytes: number): string {
  return sdp.replace(/^a=setup:actpass(?=\r?$)/gm, 'a=setup:active').replace(/^a=max-message-size:\d+(?=\r?$)/gm, `a=max-message-size:${maxMessageBytes}`);
}

/** Our own answer as we give it out: the advertised max-message-size set to the cap. */
export function asOurAnswer(sdp: string, maxMessageBytes: number): string {
  return sdp.replace(/^a=max-message-size:\d+(?=\r?$)/gm, `a=max-message-size:${maxMessageBytes}`);
}

/** The setup attribute of `sdp` (the first one). */
export function setupOf(sdp: string): string | undefined {
  return lines(sdp).find((l) => l.startsWith('a=setup:'))?.slice('a=setup:'.length).trim();
}
