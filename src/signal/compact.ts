import { utf8Decode, utf8Encode } from './utf8.ts';
import { ByteReader, ByteWriter } from './bytes.ts';
import { codecSpecById, codecSpecFor } from './codecs.ts';
import { SignalError } from './errors.ts';
import { ipv4FromBytes, ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, mdnsFromBytes, mdnsToBytes } from './ip.ts';
import type { Candidate, CandidateType, Codec, Direction, MediaKind, MediaSection, Session, Setup, TcpType } from './model.ts';

/*
 * Compact payload, after the frame header (see frame.ts). Bit fields are listed high bit first.
 *
 *   flags      setup:2 (actpass, active, passive) | other-hash:1 | ice-lite:1 | candidates:4
 *   [hash]     only with other-hash: 0 sha-1, 1 sha-224, 3 sha-384, 4 sha-512 (sha-256 is implied)
 *   lengths    hex:1 | ufrag length - 4 :3 | pwd length - 22 :4   (7 and 15: two raw length bytes follow;
 *              7 alone: one raw byte, the ufrag's length, follows, as for libnice's 32-character ufrags)
 *   creds      ufrag then pwd, 4 bits a character (lower-case hex) or 6 (ICE's base64 alphabet)
 *   digest     the fingerprint's raw bytes, as many as the hash gives
 *   candidate× type:2 | address:2 (IPv4, IPv6, mDNS uuid) | tcp:1 | tcptype:2 | 0:1,
 *              then 4/16/16 address bytes and a 2-byte port
 *   section×   until the end: kind:2 | direction:2 | extended:1 | count:3 (7 = a count byte follows)
 *     [ext]    explicit-mid:1 | rejected:1 | kind-mid:1 | 0:5; with explicit-mid a length byte and the
 *              mid follow; with kind-mid the mid is the kind and the index (`video0`, as webrtcbin
 *              names them); else the mid is its index. A rejected section (port 0) has no transport.
 *     audio/video: per codec  id:4 | variant:4, [variant bytes], payload type byte
 *     data:    count bits are  explicit-port:1 | max-message-size:2 (none, 64 KiB, 256 KiB, 4 bytes)
 *              then [port:2] [max-message-size:4]
 */

const SETUPS: readonly Setup[] = ['actpass', 'active', 'passive'];
const HASHES = ['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512'] as const;
const HASH_BYTES: Record<string, number> = { 'sha-1': 20, 'sha-224': 28, 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 };
const TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];
const TCP_TYPES: readonly TcpType[] = ['active', 'passive', 'so'];
const KINDS: readonly MediaKind[] = ['audio', 'video', 'application'];
const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEX = '0123456789abcdef';
const ADDR_V4 = 0;
const ADDR_V6 = 1;
const ADDR_MDNS = 2;
const MMS_CODES = [undefined, 65536, 262144] as const;
const MAX_CANDIDATES = 15;

/** Why a session that parsed cleanly still cannot go compact (limits of the bit fields). */
export function compactLimits(session: Session): string[] {
  const problems: string[] = [];
  if (session.candidates.length > MAX_CANDIDATES) problems.push(`${session.candidates.length} candidates (at most 15)`);
  if (!(session.fingerprint.algorithm in HASH_BYTES)) problems.push(`fingerprint hash ${session.fingerprint.algorithm}`);
  else if (HASH_BYTES[session.fingerprint.algorithm] !== session.fingerprint.digest.length) {
    problems.push('fingerprint length does not match its hash');
  }
  if (session.media.length === 0) problems.push('no media section');
  if (session.media.length > 0 && session.media.every((m) => m.rejected)) problems.push('every media section is rejected');
  for (const m of session.media) {
    if (utf8Encode(m.mid).length > 255) problems.push(`mid longer than 255 bytes`);
    if (m.codecs.length > 255) problems.push(`more than 255 codecs`);
    if (m.sctpPort !== undefined && (m.sctpPort < 0 || m.sctpPort > 0xffff)) problems.push(`sctp-port ${m.sctpPort}`);
    const mms = m.maxMessageSize;
    if (mms !== undefined && (!Number.isInteger(mms) || mms < 0 || mms > 0xffffffff)) problems.push(`max-message-size ${mms}`);
  }
  return problems;
}

function packChars(writer: ByteWriter, text: string, alphabet: string, bits: number): void {
  let acc = 0;
  let held = 0;
  for (const ch of text) {
    acc = (acc << bits) | alphabet.indexOf(ch);
    held += bits;
    while (held >= 8) {
      held -= 8;
      writer.u8(acc >> held);
      acc &= (1 << held) - 1;
    }
  }
  if (held > 0) writer.u8(acc << (8 - held));
}

function unpackChars(reader: ByteReader, count: number, alphabet: string, bits: number): string {
  const bytes = reader.bytes(Math.ceil((count * bits) / 8));
  let out = '';
  let acc = 0;
  let held = 0;
  let i = 0;
  while (out.length < count) {
    if (held < bits) {
      acc = ((acc << 8) | bytes[i++]!) & 0xffff;
      held += 8;
      continue;
    }
    held -= bits;
    out += alphabet[(acc >> held) & ((1 << bits) - 1)];
  }
  return out;
}

function writeCredentials(writer: ByteWriter, ufrag: string, pwd: string): void {
  const both = ufrag + pwd;
  const hex = /^[0-9a-f]+$/.test(both);
  const u = ufrag.length - 4;
  const p = pwd.length - 22;
  const shortU = u >= 0 && u < 7;
  const shortP = p >= 0 && p < 15;
  // A long ufrag with a pwd that fits escapes the ufrag alone: one length byte, not two.
  const onlyU = !shortU && shortP && ufrag.length <= 255;
  const short = shortU && shortP;
  writer.u8((hex ? 0x80 : 0) | ((short ? u : 7) << 4) | (short || onlyU ? p : 15));
  if (onlyU) writer.u8(ufrag.length);
  else if (!short) writer.u8(ufrag.length).u8(pwd.length);
  if (hex) packChars(writer, both, HEX, 4);
  else packChars(writer, both, B64, 6);
}

function readCredentials(reader: ByteReader): { ufrag: string; pwd: string } {
  const lengths = reader.u8();
  const hex = (lengths & 0x80) !== 0;
  let u = ((lengths >> 4) & 7) + 4;
  let p = (lengths & 15) + 22;
  if (u === 11 && p === 37) {
    u = reader.u8();
    p = reader.u8();
  } else if (u === 11) {
    u = reader.u8();
  } else if (p === 37) {
    throw new SignalError('E_MALFORMED', 'half-escaped credential lengths');
  }
  const both = hex ? unpackChars(reader, u + p, HEX, 4) : unpackChars(reader, u + p, B64, 6);
  return { ufrag: both.slice(0, u), pwd: both.slice(u) };
}

function writeCandidate(writer: ByteWriter, c: Candidate): void {
  const v4 = ipv4ToBytes(c.address);
  const v6 = v4 ? undefined : ipv6ToBytes(c.address);
  const mdns = v4 || v6 ? undefined : mdnsToBytes(c.address);
  const kind = v4 ? ADDR_V4 : v6 ? ADDR_V6 : ADDR_MDNS;
  const tcp = c.protocol === 'tcp';
  const tcpType = tcp ? TCP_TYPES.indexOf(c.tcpType ?? 'active') : 0;
  writer.u8((TYPES.indexOf(c.type) << 6) | (kind << 4) | ((tcp ? 1 : 0) << 3) | (tcpType << 1));
  writer.bytes((v4 ?? v6 ?? mdns)!).u16(c.port);
}

function readCandidate(reader: ByteReader): Candidate {
  const head = reader.u8();
  const type = TYPES[head >> 6]!;
  const kind = (head >> 4) & 3;
  const tcp = (head & 8) !== 0;
  const tcpType = TCP_TYPES[(head >> 1) & 3];
  if ((head & 1) !== 0 || kind > ADDR_MDNS || (tcp && !tcpType)) {
    throw new SignalError('E_MALFORMED', `candidate header 0x${head.toString(16)}`);
  }
  const address =
    kind === ADDR_V4 ? ipv4FromBytes(reader.bytes(4)) : kind === ADDR_V6 ? ipv6FromBytes(reader.bytes(16)) : mdnsFromBytes(reader.bytes(16));
  const port = reader.u16();
  return tcp ? { type, protocol: 'tcp', tcpType: tcpType!, address, port } : { type, protocol: 'udp', address, port };
}

const EXT_MID = 0x80;
const EXT_REJECTED = 0x40;
const EXT_KIND_MID = 0x20;

function writeSection(writer: ByteWriter, m: MediaSection, index: number): void {
  const kindMid = m.mid === `${m.kind}${index}`;
  const explicitMid = m.mid !== String(index) && !kindMid;
  const extended = explicitMid || kindMid || m.rejected === true;
  const head = (KINDS.indexOf(m.kind) << 6) | (DIRECTIONS.indexOf(m.direction) << 4) | ((extended ? 1 : 0) << 3);
  if (m.kind === 'application') {
    const port = m.sctpPort ?? 5000;
    const mmsCode = (MMS_CODES as readonly (number | undefined)[]).indexOf(m.maxMessageSize);
    writer.u8(head | ((port !== 5000 ? 1 : 0) << 2) | (mmsCode >= 0 ? mmsCode : 3));
  } else {
    writer.u8(head | Math.min(m.codecs.length, 7));
  }
  if (extended) writer.u8((explicitMid ? EXT_MID : 0) | (kindMid ? EXT_KIND_MID : 0) | (m.rejected ? EXT_REJECTED : 0));
  if (explicitMid) {
    const mid = utf8Encode(m.mid);
    writer.u8(mid.length).bytes(mid);
  }
  if (m.kind === 'application') {
    if ((m.sctpPort ?? 5000) !== 5000) writer.u16(m.sctpPort ?? 5000);
    if (m.maxMessageSize !== undefined && !(MMS_CODES as readonly (number | undefined)[]).includes(m.maxMessageSize)) {
      writer.u32(m.maxMessageSize);
    }
    return;
  }
  if (m.codecs.length >= 7) writer.u8(m.codecs.length);
  for (const codec of m.codecs) writeCodec(writer, m.kind, codec);
}

function writeCodec(writer: ByteWriter, kind: MediaKind, codec: Codec): void {
  const spec = codecSpecFor(kind, codec.name);
  const variant = spec?.variant(codec.params);
  if (!spec || variant === undefined) throw new SignalError('E_SDP_UNSUPPORTED', `codec ${codec.name}`);
  writer.u8((spec.id << 4) | variant);
  if (spec.extraBytes(variant) > 0 && spec.extra) writer.bytes(spec.extra(codec.params));
  writer.u8(codec.payloadType);
}

function readSection(reader: ByteReader, index: number): MediaSection {
  const head = reader.u8();
  const kind = KINDS[head >> 6];
  if (!kind) throw new SignalError('E_MALFORMED', `media kind ${head >> 6}`);
  const direction = DIRECTIONS[(head >> 4) & 3]!;
  let mid = String(index);
  const ext = head & 8 ? reader.u8() : 0;
  if ((ext & ~(EXT_MID | EXT_REJECTED | EXT_KIND_MID)) !== 0 || (ext & EXT_MID && ext & EXT_KIND_MID) || ext === 0 && (head & 8) !== 0) {
    throw new SignalError('E_MALFORMED', `media extension 0x${ext.toString(16)}`);
  }
  if (ext & EXT_MID) mid = utf8Decode(reader.bytes(reader.u8()));
  if (ext & EXT_KIND_MID) mid = `${kind}${index}`;
  const rejected = (ext & EXT_REJECTED) !== 0 ? { rejected: true as const } : {};
  if (kind === 'application') {
    const sctpPort = head & 4 ? reader.u16() : 5000;
    const mmsCode = head & 3;
    const maxMessageSize = mmsCode === 3 ? reader.u32() : MMS_CODES[mmsCode];
    return { kind, mid, direction, codecs: [], ...rejected, sctpPort, ...(maxMessageSize === undefined ? {} : { maxMessageSize }) };
  }
  const count = (head & 7) === 7 ? reader.u8() : head & 7;
  const codecs: Codec[] = [];
  for (let i = 0; i < count; i++) {
    const byte = reader.u8();
    const spec = codecSpecById(byte >> 4);
    if (!spec || spec.kind !== kind) throw new SignalError('E_MALFORMED', `codec id ${byte >> 4} in ${kind}`);
    const variant = byte & 15;
    const extraCount = spec.extraBytes(variant);
    const params = spec.params(variant, extraCount > 0 ? reader.bytes(extraCount) : undefined);
    if (!params) throw new SignalError('E_MALFORMED', `${spec.name} variant ${variant}`);
    const payloadType = reader.u8();
    if (payloadType > 127) throw new SignalError('E_MALFORMED', `payload type ${payloadType}`);
    codecs.push({ name: spec.name, payloadType, params });
  }
  return { kind, mid, direction, codecs, ...rejected };
}

export function encodeCompact(session: Session): Uint8Array {
  const writer = new ByteWriter();
  const algorithm = session.fingerprint.algorithm;
  const otherHash = algorithm !== 'sha-256';
  writer.u8(
    (SETUPS.indexOf(session.setup) << 6) |
      ((otherHash ? 1 : 0) << 5) |
      ((session.iceLite ? 1 : 0) << 4) |
      session.candidates.length,
  );
  if (otherHash) writer.u8((HASHES as readonly string[]).indexOf(algorithm));
  writeCredentials(writer, session.ufrag, session.pwd);
  writer.bytes(session.fingerprint.digest);
  for (const c of session.candidates) writeCandidate(writer, c);
  session.media.forEach((m, i) => writeSection(writer, m, i));
  return writer.finish();
}

export function decodeCompact(payload: Uint8Array): Session {
  const reader = new ByteReader(payload);
  const flags = reader.u8();
  const setup = SETUPS[flags >> 6];
  if (!setup) throw new SignalError('E_MALFORMED', 'DTLS setup 3');
  const algorithm = flags & 0x20 ? HASHES[reader.u8()] : 'sha-256';
  if (!algorithm || (algorithm === 'sha-256' && (flags & 0x20) !== 0)) throw new SignalError('E_MALFORMED', 'fingerprint hash');
  const { ufrag, pwd } = readCredentials(reader);
  const digest = reader.bytes(HASH_BYTES[algorithm]!);
  const candidates = Array.from({ length: flags & 15 }, () => readCandidate(reader));
  const media: MediaSection[] = [];
  while (reader.remaining > 0) media.push(readSection(reader, media.length));
  if (media.length === 0) throw new SignalError('E_MALFORMED', 'no media section');
  if (media.every((m) => m.rejected)) throw new SignalError('E_MALFORMED', 'every media section is rejected');
  return { ufrag, pwd, iceLite: (flags & 0x10) !== 0, fingerprint: { algorithm, digest }, setup, candidates, media };
}
