import { candidateDropped, type CandidateFilter } from './candidate-filter.ts';
import { codecSpecFor } from './codecs.ts';
import { SignalError } from './errors.ts';
import { ipv4ToBytes, ipv6ToBytes, isMdnsName } from './ip.ts';
import type { Candidate, CandidateType, Codec, Direction, MediaKind, MediaSection, Session, Setup, TcpType } from './model.ts';

export interface ParseOptions extends CandidateFilter {
  /** Codecs to keep per media section, e.g. `isAgentCodec` for a browser offer to a Pi. */
  keepCodec?: (codec: Codec, kind: MediaKind) => boolean;
}

export interface ParsedSdp {
  session: Session;
  /** Why compact mode cannot carry this SDP faithfully; empty when it can. */
  notCompact: string[];
}

/** Wrappers that add robustness but carry no media of their own; compact blobs leave them out. */
const WRAPPERS = new Set(['rtx', 'red', 'ulpfec', 'flexfec-03']);
const STATIC_PAYLOADS: Record<number, string> = { 0: 'PCMU', 8: 'PCMA', 9: 'G722' };
const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const RTP_PROTO = 'UDP/TLS/RTP/SAVPF';
const SCTP_PROTO = 'UDP/DTLS/SCTP';

interface RawSection {
  line: string;
  attrs: string[];
}

function splitSections(sdp: string): { session: string[]; media: RawSection[] } {
  const lines = sdp.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines[0] !== 'v=0') {
    const first = lines[0] ?? '';
    throw new SignalError('E_SDP_INVALID', first === '' ? 'it is empty' : `it starts "${first.length > 24 ? `${first.slice(0, 24)}…` : first}", not "v=0"`);
  }
  const session: string[] = [];
  const media: RawSection[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) media.push({ line, attrs: [] });
    else if (line.startsWith('a=')) (media.at(-1)?.attrs ?? session).push(line.slice(2));
  }
  if (media.length === 0) throw new SignalError('E_SDP_INVALID', 'it has no media section (m= line)');
  return { session, media };
}

function attr(attrs: string[], name: string): string | undefined {
  for (const a of attrs) {
    if (a === name) return '';
    if (a.startsWith(`${name}:`)) return a.slice(name.length + 1).trim();
  }
  return undefined;
}

function attrs(list: string[], name: string): string[] {
  return list.filter((a) => a.startsWith(`${name}:`)).map((a) => a.slice(name.length + 1).trim());
}

function parseFingerprint(value: string): { algorithm: string; digest: Uint8Array } | undefined {
  const [algorithm, hex] = value.split(/\s+/);
  if (!algorithm || !hex || !hex.split(':').every((pair) => /^[0-9a-f]{2}$/i.test(pair))) return undefined;
  return { algorithm: algorithm.toLowerCase(), digest: Uint8Array.from(hex.split(':'), (h) => parseInt(h, 16)) };
}

function parseParams(fmtp: string | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of (fmtp ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) params[pair.slice(0, eq).trim().toLowerCase()] = pair.slice(eq + 1).trim();
  }
  return params;
}

interface CandidateWithPriority extends Candidate {
  priority: number;
}

/** One `a=candidate` value; undefined for the ones compact mode leaves out by design. */
function parseCandidate(value: string, options: ParseOptions, notCompact: string[]): CandidateWithPriority | undefined {
  const f = value.split(/\s+/);
  const [, component, transport, priority, address, port, typ, type] = f;
  if (typ !== 'typ' || !address || !port || !type || !transport) {
    notCompact.push(`candidate line not understood: ${value}`);
    return undefined;
  }
  // RTP and RTCP share one port (rtcp-mux), so only component 1 is ever used.
  if (component !== '1') return undefined;
  const protocol = transport.toLowerCase();
  if (protocol !== 'udp' && protocol !== 'tcp') {
    notCompact.push(`candidate transport ${transport}`);
    return undefined;
  }
  if (!['host', 'srflx', 'prflx', 'relay'].includes(type)) {
    notCompact.push(`candidate type ${type}`);
    return undefined;
  }
  if (candidateDropped(protocol, address, options)) return undefined;
  if (!isMdnsName(address) && !ipv4ToBytes(address) && !ipv6ToBytes(address)) {
    notCompact.push(`candidate address ${address} is neither an IP address nor a browser mDNS name`);
    return undefined;
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    notCompact.push(`candidate port ${port}`);
    return undefined;
  }
  const tcpIndex = f.indexOf('tcptype');
  const tcpType = tcpIndex > 0 ? f[tcpIndex + 1] : undefined;
  if (protocol === 'tcp' && tcpType !== 'active' && tcpType !== 'passive' && tcpType !== 'so') {
    notCompact.push(`tcp candidate without a known tcptype: ${value}`);
    return undefined;
  }
  return {
    type: type as CandidateType,
    protocol,
    ...(protocol === 'tcp' ? { tcpType: tcpType as TcpType } : {}),
    address: address.toLowerCase(),
    port: Number(port),
    priority: Number(priority) || 0,
  };
}

function parseCodecs(kind: MediaKind, formats: string[], list: string[], options: ParseOptions): Codec[] {
  const codecs: Codec[] = [];
  for (const format of formats) {
    const payloadType = Number(format);
    if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) continue;
    const rtpmap = attrs(list, 'rtpmap').find((v) => v.split(/\s+/)[0] === format);
    const name = rtpmap?.split(/\s+/)[1]?.split('/')[0] ?? STATIC_PAYLOADS[payloadType];
    if (!name || WRAPPERS.has(name.toLowerCase())) continue;
    const spec = codecSpecFor(kind, name);
    if (!spec) continue;
    const fmtp = attrs(list, 'fmtp').find((v) => v.split(/\s+/)[0] === format);
    const params = parseParams(fmtp?.slice(format.length).trim());
    const variant = spec.variant(params);
    if (variant === undefined) continue;
    // The params the table stands for (defaults filled in, receiver limits such as max-fs left
    // out), so a parsed session is exactly what a compact blob will rebuild.
    const canonical = spec.params(variant, spec.extraBytes(variant) > 0 ? spec.extra?.(params) : undefined);
    if (!canonical) continue;
    const codec: Codec = { name: spec.name, payloadType, params: canonical };
    if (options.keepCodec && !options.keepCodec(codec, kind)) continue;
    codecs.push(codec);
  }
  return codecs;
}

/**
 * A section the answerer refused (port 0): no transport of its own, only its place, kind and mid,
 * so the rebuilt SDP still lines up with the offer section by section. Codecs are kept when the
 * table can name them, for whoever reads why it was refused.
 */
function rejectedSection(
  kind: MediaKind,
  kindText: string,
  mid: string,
  direction: Direction,
  formats: string[],
  list: string[],
  notCompact: string[],
): MediaSection {
  if (kind === 'application') return { kind, mid, direction: 'inactive', codecs: [], rejected: true, sctpPort: 5000 };
  if (kind !== 'audio' && kind !== 'video') {
    notCompact.push(`media kind ${kindText}`);
    return { kind: 'video', mid, direction: 'inactive', codecs: [], rejected: true };
  }
  return { kind, mid, direction, codecs: parseCodecs(kind, formats, list, {}), rejected: true };
}

function setupOf(value: string | undefined): Setup | undefined {
  return value === 'actpass' || value === 'active' || value === 'passive' ? value : undefined;
}

/** What the media sections have given so far, section by section. */
interface Gathered {
  notCompact: string[];
  /** Every distinct "ufrag pwd fingerprint setup": more than one means not bundled. */
  transports: Set<string>;
  candidates: CandidateWithPriority[];
  media: MediaSection[];
  transport: { ufrag: string; pwd: string; fingerprint: string; setup: string } | undefined;
}

/**
 * Reads what a compact blob needs from an SDP, and lists anything it would lose so the encoder
 * can fall back to deflate. Missing ICE credentials or fingerprint are errors in either mode:
 * no blob made from such an SDP could ever connect.
 */
export function parseSdp(sdp: string, options: ParseOptions = {}): ParsedSdp {
  const { session: sessionAttrs, media: rawMedia } = splitSections(sdp);
  const found: Gathered = { notCompact: [], transports: new Set(), candidates: [], media: [], transport: undefined };
  for (const [index, section] of rawMedia.entries()) readSection(section, index, sessionAttrs, options, found);

  const { notCompact, media, transport } = found;
  if (!transport) {
    if (media.length > 0 && media.every((m) => m.rejected)) {
      throw new SignalError('E_SDP_ALL_REJECTED', media.map((m) => `${m.kind} ${m.codecs.map((c) => c.name).join(' ')}`.trim()).join(', '));
    }
    throw new SignalError('E_SDP_INVALID', 'no media section');
  }
  checkBundle(sessionAttrs, found);
  const fingerprint = parseFingerprint(transport.fingerprint);
  if (!fingerprint) throw new SignalError('E_SDP_NO_FINGERPRINT', `unreadable: ${transport.fingerprint}`);
  const setup = setupOf(transport.setup);
  if (!setup) notCompact.push(`DTLS setup ${transport.setup}`);
  for (const [name, value] of [['ufrag', transport.ufrag], ['pwd', transport.pwd]] as const) {
    if (!ICE_CHARS.test(value) || value.length > 255) notCompact.push(`ICE ${name} has characters or a length outside ICE's`);
  }

  // Highest priority first, so the rebuilt priorities keep the order the gatherer chose.
  const ordered = found.candidates
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.priority - a.c.priority || a.i - b.i)
    .map(({ c: { priority: _priority, ...rest } }) => rest);

  return {
    session: {
      ufrag: transport.ufrag,
      pwd: transport.pwd,
      iceLite: attr(sessionAttrs, 'ice-lite') !== undefined,
      fingerprint,
      setup: setup ?? 'actpass',
      candidates: ordered,
      media,
    },
    notCompact,
  };
}

/** One media section: its transport, candidates and what it carries, added to `found`. */
function readSection(section: RawSection, index: number, sessionAttrs: string[], options: ParseOptions, found: Gathered): void {
  const [kindText = '', port = '', proto = '', ...formats] = section.line.slice(2).split(/\s+/);
  const list = [...section.attrs, ...sessionAttrs];
  const kind = kindText as MediaKind;
  const mid = attr(section.attrs, 'mid') ?? String(index);
  const direction = (section.attrs.find((a) => DIRECTIONS.has(a)) ?? 'sendrecv') as Direction;
  // Port 0 with bundle-only (Firefox's max-bundle offer) is a section that rides on the BUNDLE
  // tag's transport; port 0 without it is one the other side refused, and it has no transport.
  const bundleOnly = attr(section.attrs, 'bundle-only') !== undefined;
  if (port === '0' && !bundleOnly) {
    found.media.push(rejectedSection(kind, kindText, mid, direction, formats, list, found.notCompact));
    return;
  }
  readTransport(list, bundleOnly, index, found);
  for (const value of attrs(section.attrs, 'candidate')) {
    const candidate = parseCandidate(value, options, found.notCompact);
    if (!candidate) continue;
    const same = (c: Candidate): boolean => c.address === candidate.address && c.port === candidate.port && c.protocol === candidate.protocol;
    if (!found.candidates.some(same)) found.candidates.push(candidate);
  }
  const notCompact = found.notCompact;
  if (kind === 'application') {
    if (!proto.endsWith(SCTP_PROTO) || formats[0] !== 'webrtc-datachannel') {
      notCompact.push(`data section ${mid} uses ${proto} ${formats.join(' ')}`);
    }
    const sctpPort = Number(attr(section.attrs, 'sctp-port') ?? '5000');
    const mms = attr(section.attrs, 'max-message-size');
    // A direction means nothing to a data channel section; keep one form so blobs agree.
    found.media.push({ kind, mid, direction: 'sendrecv', codecs: [], sctpPort, ...(mms === undefined ? {} : { maxMessageSize: Number(mms) }) });
    return;
  }
  if (kind !== 'audio' && kind !== 'video') {
    notCompact.push(`media kind ${kindText}`);
    return;
  }
  if (proto !== RTP_PROTO) notCompact.push(`media section ${mid} uses ${proto}`);
  if (attr(section.attrs, 'rtcp-mux') === undefined) notCompact.push(`media section ${mid} has no rtcp-mux`);
  const codecs = parseCodecs(kind, formats, list, options);
  if (codecs.length === 0) notCompact.push(`media section ${mid} has no codec a compact blob can name`);
  found.media.push({ kind, mid, direction, codecs });
}

/** The section's ICE credentials and DTLS fingerprint: required, unless it leaves them to the BUNDLE tag. */
function readTransport(list: string[], bundleOnly: boolean, index: number, found: Gathered): void {
  const ufrag = attr(list, 'ice-ufrag');
  const pwd = attr(list, 'ice-pwd');
  const fingerprint = attr(list, 'fingerprint');
  // A bundle-only section may leave its transport to the tag: JSEP lets it carry no ICE lines.
  if (bundleOnly && !ufrag && !pwd) return;
  if (!ufrag || !pwd) throw new SignalError('E_SDP_NO_ICE', `media section ${index + 1}`);
  if (!fingerprint) throw new SignalError('E_SDP_NO_FINGERPRINT', `media section ${index + 1}`);
  const setup = attr(list, 'setup') ?? 'actpass';
  found.transport ??= { ufrag, pwd, fingerprint, setup };
  found.transports.add([ufrag, pwd, fingerprint, setup].join(' '));
}

/** A compact blob rebuilds one BUNDLE group of the accepted sections in order; anything else is lost. */
function checkBundle(sessionAttrs: string[], found: Gathered): void {
  if (found.transports.size > 1) found.notCompact.push('media sections use different ICE/DTLS transports (not bundled)');
  const accepted = found.media.filter((m) => !m.rejected);
  if (accepted.length <= 1) return;
  // The rebuilt group lists the accepted sections in order, so its first is the BUNDLE tag.
  const bundle = attrs(sessionAttrs, 'group').find((g) => g.startsWith('BUNDLE'));
  const bundled = bundle?.split(/\s+/).slice(1) ?? [];
  if (bundled.join(' ') !== accepted.map((m) => m.mid).join(' ')) found.notCompact.push('not every accepted media section is in one BUNDLE group, in order');
}
