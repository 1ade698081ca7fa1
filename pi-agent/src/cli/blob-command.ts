import { parseArgs } from 'node:util';
import { candidateDropped, decodeBlob, encodeBlob, isAgentCodec, type BlobType, type CandidateFilter, type EncodeOptions } from '@pigeon/signal';
import { qrMatrix, renderTerminal } from '@pigeon/qr';
import { AgentError } from '../core/errors.ts';
import { readAll, type Io } from '../core/io.ts';

export const BLOB_HELP = `Usage: pi-agent blob <encode|decode|qr> [options] < input

Pigeon's offer/answer codec, for scripts and for checking blobs by hand.

  encode   SDP (or RTCSessionDescription JSON {type, sdp}) on stdin -> blob text on stdout
  decode   blob text on stdin -> SDP on stdout
  qr       blob text on stdin -> QR code for a terminal on stdout

Options:
  --json               encode/decode: print one JSON object instead of plain text
  --type offer|answer  encode: the description's type (default: from JSON input, else
                       offer when a=setup:actpass, answer otherwise)
  --offer-id N         encode: offer id 0-65535 carried in the frame (an answer's is the
                       id of the offer it answers)
  --mode M             encode: auto (default), compact or fallback
  --keep-mdns          encode: keep <uuid>.local candidates (dropped by default)
  --keep-ipv6          encode: keep IPv6 candidates (dropped by default: a stack such as
                       webrtcbin lists each IPv6 address, link-local too, 19 bytes each)
  --keep-tcp           encode: keep ICE-TCP candidates (dropped by default: no Pigeon peer
                       uses them)
  --agent-codecs       encode: keep only codecs the Pi agent sends (H.264 baseline, VP8)
  --expect offer|answer  decode/qr: refuse the other type
  --color auto|always|never  qr: ANSI colours (default auto: when stdout is a terminal)
  -h, --help           this help
`;

function typeOption(value: string | undefined, flag: string): BlobType | undefined {
  if (value === undefined || value === 'offer' || value === 'answer') return value;
  throw new AgentError('E_USAGE', `${flag} must be "offer" or "answer", not "${value}"`);
}

/** SDP text or RTCSessionDescription JSON; the type comes from --type, the JSON, or a=setup. */
function readDescription(input: string, explicit: BlobType | undefined): { type: BlobType; sdp: string } {
  const trimmed = input.trim();
  if (trimmed === '') throw new AgentError('E_INPUT', 'standard input is empty: pipe an SDP in');
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (cause) {
      throw new AgentError('E_INPUT', 'standard input starts with "{" but is not valid JSON', { cause });
    }
    const { type, sdp } = (parsed ?? {}) as { type?: unknown; sdp?: unknown };
    if (typeof sdp !== 'string') throw new AgentError('E_INPUT', 'the JSON has no "sdp" string');
    return { type: explicit ?? typeOption(typeof type === 'string' ? type : undefined, 'JSON "type"') ?? 'offer', sdp };
  }
  return { type: explicit ?? (/^a=setup:actpass\s*$/m.test(trimmed) ? 'offer' : 'answer'), sdp: trimmed };
}

/** The QR version for a frame, or undefined when it is more than a QR code can hold (~2.3 KB at ECC M). */
function qrVersion(frame: Uint8Array): number | undefined {
  try {
    return qrMatrix(frame).version;
  } catch {
    return undefined;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The candidates the blob does not carry, in words with the flag that keeps each kind; '' when none. */
function leftOut(sdp: string, filter: CandidateFilter): string {
  const counts = { tcp: 0, ipv6: 0, mdns: 0 };
  for (const line of sdp.split(/\r?\n/)) {
    if (!line.startsWith('a=candidate:')) continue;
    const [, , transport = '', , address = ''] = line.split(/\s+/);
    if (!candidateDropped(transport, address, filter)) continue;
    if (transport.toLowerCase() === 'tcp') counts.tcp++;
    else if (address.endsWith('.local')) counts.mdns++;
    else counts.ipv6++;
  }
  const words = [
    counts.tcp > 0 ? `${plural(counts.tcp, 'TCP candidate')} (--keep-tcp)` : '',
    counts.ipv6 > 0 ? `${plural(counts.ipv6, 'IPv6 candidate')} (--keep-ipv6)` : '',
    counts.mdns > 0 ? `${plural(counts.mdns, 'mDNS candidate')} (--keep-mdns)` : '',
  ];
  return words.filter((w) => w !== '').join(', ');
}

const BLOB_FLAGS = {
  json: { type: 'boolean', default: false },
  type: { type: 'string' },
  'offer-id': { type: 'string' },
  mode: { type: 'string', default: 'auto' },
  'keep-mdns': { type: 'boolean', default: false },
  'keep-ipv6': { type: 'boolean', default: false },
  'keep-tcp': { type: 'boolean', default: false },
  'agent-codecs': { type: 'boolean', default: false },
  expect: { type: 'string' },
  color: { type: 'string', default: 'auto' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type BlobValues = ReturnType<typeof parseArgs<{ options: typeof BLOB_FLAGS; allowPositionals: true; strict: true }>>['values'];

async function encodeAction(values: BlobValues, io: Io): Promise<number> {
  const mode = values.mode;
  if (mode !== 'auto' && mode !== 'compact' && mode !== 'fallback') {
    throw new AgentError('E_USAGE', `--mode must be auto, compact or fallback, not "${mode}"`);
  }
  const offerId = values['offer-id'] === undefined ? undefined : Number(values['offer-id']);
  if (offerId !== undefined && !(Number.isInteger(offerId) && offerId >= 0 && offerId <= 0xffff)) {
    throw new AgentError('E_USAGE', `--offer-id must be a whole number from 0 to 65535`);
  }
  const description = readDescription(await readAll(io.stdin), typeOption(values.type, '--type'));
  const options: EncodeOptions = {
    mode,
    mdns: values['keep-mdns'] ? 'keep' : 'drop',
    ipv6: values['keep-ipv6'] ? 'keep' : 'drop',
    tcp: values['keep-tcp'] ? 'keep' : 'drop',
  };
  if (offerId !== undefined) options.offerId = offerId;
  if (values['agent-codecs']) options.keepCodec = isAgentCodec;
  const blob = encodeBlob(description, options);
  const version = qrVersion(blob.bytes);
  if (values.json) {
    const { type, mode: used, bytes, text, fallbackReasons } = blob;
    const json = { type, mode: used, offerId: blob.offerId ?? null, bytes: bytes.length, chars: text.length, qrVersion: version ?? null, text, fallbackReasons };
    io.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    io.stdout.write(`${blob.text}\n`);
  }
  const qr = version === undefined ? 'too large for a QR code (paste the text)' : `QR version ${version} (ECC M)`;
  io.stderr.write(`${blob.type}, ${blob.mode}, ${plural(blob.bytes.length, 'byte')}, ${qr}\n`);
  if (blob.mode === 'fallback') io.stderr.write(`fallback because: ${blob.fallbackReasons.join('; ')}\n`);
  const left = leftOut(description.sdp, options);
  if (left !== '') io.stderr.write(`left out ${left}\n`);
  return 0;
}

async function decodeAction(values: BlobValues, io: Io): Promise<number> {
  const expect = typeOption(values.expect, '--expect');
  const decoded = decodeBlob(await readAll(io.stdin), expect === undefined ? {} : { expect });
  if (values.json) {
    const { type, mode, frame, sdp } = decoded;
    io.stdout.write(`${JSON.stringify({ type, mode, offerId: decoded.offerId ?? null, bytes: frame.length, sdp })}\n`);
  } else {
    io.stdout.write(decoded.sdp);
  }
  return 0;
}

async function qrAction(values: BlobValues, io: Io): Promise<number> {
  const expect = typeOption(values.expect, '--expect');
  // Decoding first proves the blob is whole before anyone tries to scan it.
  const { frame } = decodeBlob(await readAll(io.stdin), expect === undefined ? {} : { expect });
  if (qrVersion(frame) === undefined) {
    throw new AgentError('E_TOO_LARGE', `this code is ${frame.length} bytes, more than a QR code holds (about 2 300 at ECC M); use its text instead`);
  }
  const color = values.color === 'always' || (values.color === 'auto' && io.stdout.isTTY === true);
  let qr: string;
  try {
    qr = renderTerminal(qrMatrix(frame), { color });
  } catch (cause) {
    // Wider than a terminal: a fallback blob of a large SDP, which only its text carries well.
    throw new AgentError('E_TOO_LARGE', `${(cause as Error).message}; this code is ${frame.length} bytes, so use its text instead`, { cause });
  }
  io.stdout.write(qr);
  return 0;
}

export async function blobCommand(args: string[], io: Io): Promise<number> {
  // The action is found among the options, so `blob --help` and `blob --json decode` work too.
  const { values, positionals } = parseArgs({
    args,
    options: BLOB_FLAGS,
    strict: true,
    allowPositionals: true,
  });
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new AgentError('E_USAGE', `one blob action at a time, not "${positionals.join(' ')}"`);
  if (values.help || action === undefined) {
    io.stdout.write(BLOB_HELP);
    return action === undefined && !values.help ? 2 : 0;
  }
  if (io.stdin.isTTY) io.stderr.write('Paste the input, then press Ctrl-D.\n');

  switch (action) {
    case 'encode':
      return encodeAction(values, io);
    case 'decode':
      return decodeAction(values, io);
    case 'qr':
      return qrAction(values, io);
    default:
      throw new AgentError('E_USAGE', `unknown blob action "${action}" (encode, decode or qr)`);
  }
}
