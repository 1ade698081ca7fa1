import { codecSpecFor } from './codecs.ts';
import type { Candidate, MediaSection, Session } from './model.ts';

/** RFC 8445 type preferences, so rebuilt candidates are tried in the usual order. */
const TYPE_PREFERENCE: Record<Candidate['type'], number> = { host: 126, prflx: 110, srflx: 100, relay: 0 };

function candidateLine(c: Candidate, index: number): string {
  // Keep the gatherer's order: local preference falls with the position the blob lists it at.
  const priority = TYPE_PREFERENCE[c.type] * 2 ** 24 + (65535 - index) * 2 ** 8 + 255;
  const related = c.type === 'host' ? '' : ' raddr 0.0.0.0 rport 0';
  const tcp = c.protocol === 'tcp' ? ` tcptype ${c.tcpType ?? 'active'}` : '';
  return `a=candidate:${index + 1} 1 ${c.protocol} ${priority} ${c.address} ${c.port} typ ${c.type}${related}${tcp} generation 0`;
}

function hexDigest(digest: Uint8Array): string {
  return Array.from(digest, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':');
}

function transportLines(session: Session): string[] {
  return [
    ...session.candidates.map(candidateLine),
    // With no candidates (mDNS ones dropped) the peer must wait for the other side's checks and
    // learn its address from them; "end-of-candidates" would make werift give up at once.
    ...(session.candidates.length > 0 ? ['a=end-of-candidates'] : []),
    `a=ice-ufrag:${session.ufrag}`,
    `a=ice-pwd:${session.pwd}`,
    `a=fingerprint:${session.fingerprint.algorithm} ${hexDigest(session.fingerprint.digest)}`,
    `a=setup:${session.setup}`,
  ];
}

function rtpLines(m: MediaSection): string[] {
  const lines: string[] = [];
  for (const codec of m.codecs) {
    const spec = codecSpecFor(m.kind, codec.name);
    const channels = spec?.channels === undefined ? '' : `/${spec.channels}`;
    lines.push(`a=rtpmap:${codec.payloadType} ${codec.name}/${spec?.clockRate ?? 90000}${channels}`);
    for (const fb of spec?.feedback ?? []) lines.push(`a=rtcp-fb:${codec.payloadType} ${fb}`);
    const params = Object.entries(codec.params)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(';');
    if (params) lines.push(`a=fmtp:${codec.payloadType} ${params}`);
  }
  return lines;
}

/** A refused section keeps its place and mid, with port 0 and no transport, as answerers write it. */
function rejectedLines(m: MediaSection): string[] {
  if (m.kind === 'application') return ['m=application 0 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', `a=mid:${m.mid}`];
  // An m-line needs a format even when none is left; a refused section's formats mean nothing.
  const formats = m.codecs.length > 0 ? m.codecs.map((c) => c.payloadType).join(' ') : '0';
  return [`m=${m.kind} 0 UDP/TLS/RTP/SAVPF ${formats}`, 'c=IN IP4 0.0.0.0', `a=mid:${m.mid}`, `a=${m.direction}`, ...rtpLines(m)];
}

function sectionLines(session: Session, m: MediaSection): string[] {
  if (m.rejected) return rejectedLines(m);
  const head =
    m.kind === 'application'
      ? ['m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0']
      : [`m=${m.kind} 9 UDP/TLS/RTP/SAVPF ${m.codecs.map((c) => c.payloadType).join(' ')}`, 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0'];
  const body =
    m.kind === 'application'
      ? [`a=mid:${m.mid}`, `a=sctp-port:${m.sctpPort ?? 5000}`, ...(m.maxMessageSize === undefined ? [] : [`a=max-message-size:${m.maxMessageSize}`])]
      : [`a=mid:${m.mid}`, `a=${m.direction}`, 'a=rtcp-mux', 'a=rtcp-rsize', ...rtpLines(m)];
  // Every section repeats the shared transport, as werift does: a receiver that reads candidates
  // per section finds them wherever it looks, and a bundling one ignores the repeats.
  return [...head, ...transportLines(session), ...body];
}

/**
 * A complete SDP for a decoded session. It is deterministic (the session id comes from the
 * fingerprint), so the same blob always gives the same text.
 */
export function buildSdp(session: Session): string {
  const sessionId = session.fingerprint.digest.slice(0, 6).reduce((n, b) => n * 256 + b, 0);
  const lines = [
    'v=0',
    `o=- ${sessionId} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    // The first accepted section is the BUNDLE tag: a refused one (e.g. Firefox's video when it
    // cannot play the offered codec) leaves the group, and the next section carries the transport.
    `a=group:BUNDLE ${session.media.filter((m) => !m.rejected).map((m) => m.mid).join(' ')}`,
    ...(session.iceLite ? ['a=ice-lite'] : []),
    'a=msid-semantic: WMS',
    ...session.media.flatMap((m) => sectionLines(session, m)),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
