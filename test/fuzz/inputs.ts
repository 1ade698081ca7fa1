import { readFileSync } from 'node:fs';
import { deflateRaw } from 'pako';
import { deflateSdp } from '../../src/signal/fallback.ts';
import { encodeFrame } from '../../src/signal/frame.ts';
import { encodeBlob, type EncodedBlob } from '../../src/signal/index.ts';
import { rng } from '../harness/index.ts';

/*
 * Bad input as people and careless scripts make it, one line at a time (no LF inside; a CR,
 * NUL or any other byte may be): garbage, unicode, random `pigeon:` text, bit flips, cut-short,
 * binary, blobs of the wrong kind or for another offer, junk SDP in good frames, deflate bombs,
 * blank lines and lines over the 64 KiB limit. Deterministic from the seed, so a failure replays.
 */
const WERIFT = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const CHROMIUM = readFileSync(new URL('../fixtures/chromium-offer.sdp', import.meta.url), 'utf8');

const LF = 0x0a;
const withoutLf = (bytes: Uint8Array): Buffer => Buffer.from(bytes.filter((b) => b !== LF));
const textOf = (bytes: Uint8Array): string => `pigeon:${Buffer.from(bytes).toString('base64url')}`;

/**
 * `count` lines of bad input. `offerId` is the id every offer and answer in them carries: pick
 * one the agent under test is not showing, so none can be taken.
 */
export function badLines(count: number, seed: number, offerId: number): Buffer[] {
  const random = rng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const answerSdp = (sdp: string): string => sdp.replace(/a=setup:actpass/g, 'a=setup:active');
  const seeds: EncodedBlob[] = [
    encodeBlob({ type: 'answer', sdp: answerSdp(WERIFT) }, { offerId }),
    encodeBlob({ type: 'answer', sdp: answerSdp(CHROMIUM) }, { offerId }),
    encodeBlob({ type: 'answer', sdp: answerSdp(WERIFT) }, { offerId, mode: 'fallback' }),
    encodeBlob({ type: 'answer', sdp: answerSdp(WERIFT) }),
    encodeBlob({ type: 'offer', sdp: WERIFT }, { offerId }),
  ];
  const frame = (payload: Uint8Array, mode: 'compact' | 'fallback' = 'compact'): Uint8Array => encodeFrame({ type: 'answer', mode, offerId, payload });
  const bombs = [70_000, 200_000, 1_000_000].map((size, i) => textOf(frame(deflateRaw(new Uint8Array(size).fill(97 + i)), 'fallback')));
  const unicode = ['é', 'ß', '€', '中', '😀', '\u202e', '\u0301', '\u0000', '\u0007', '\r', '\t', ' ', '\u00a0', '\ufeff', '\ud800', 'p', 'i', 'g', 'e', 'o', 'n', ':'];

  const kinds: (() => Buffer | string)[] = [
    // Printable garbage, and unicode with controls, lone surrogates and stray prefixes.
    () => Array.from({ length: int(200) }, () => String.fromCharCode(32 + int(95))).join(''),
    () => Array.from({ length: int(120) }, () => pick(unicode)).join(''),
    // `pigeon:` and random base64url, or anything.
    () => `pigeon:${Array.from({ length: int(160) }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[int(64)]).join('')}`,
    () => `${int(2) ? 'PIGEON:' : 'pigeon:'}${Array.from({ length: int(100) }, () => String.fromCharCode(33 + int(94))).join('')}`,
    // Binary: any byte but LF.
    () => withoutLf(Uint8Array.from({ length: int(300) }, () => int(256))),
    // One bit flipped, as text with or without the prefix.
    () => {
      const bytes = pick(seeds).bytes.slice();
      const bit = int(bytes.length * 8);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      const text = textOf(bytes);
      return int(2) ? text : text.slice('pigeon:'.length);
    },
    // Cut short (the next line is joined to it), or with a tail cut off and another's glued on.
    () => {
      const text = pick(seeds).text;
      return text.slice(0, 7 + int(text.length - 7));
    },
    () => {
      const a = pick(seeds).text;
      const b = pick(seeds).text;
      return a.slice(0, int(a.length)) + b.slice(7 + int(b.length - 7));
    },
    // Good frames around mutated payloads: reach the compact decoder, inflate and the SDP checks.
    () => {
      const seed = pick(seeds);
      const payload = seed.bytes.slice(seed.offerId === undefined ? 2 : 4, -4);
      for (let k = 0, n = 1 + int(4); k < n; k++) payload[int(payload.length)] = int(256);
      return textOf(encodeFrame({ type: seed.type, mode: seed.mode, offerId: seed.offerId, payload: int(3) ? payload : payload.subarray(0, int(payload.length)) }));
    },
    () => {
      const lines = pick([WERIFT, CHROMIUM]).split('\n');
      for (let k = 0, n = 1 + int(6); k < n; k++) lines.splice(int(lines.length), 1 + int(3));
      return textOf(frame(deflateSdp(int(4) ? answerSdp(lines.join('\n')) : Array.from({ length: int(80) }, () => pick(unicode)).join('')), 'fallback'));
    },
    () => pick(bombs),
    // Right code, wrong moment: an offer, an answer for another offer, one without an id.
    () => pick(seeds).text,
    // Blank, spaces, CR only.
    () => pick(['', ' ', '\r', ' \t \r', '\u00a0']),
    // Whole valid text with whitespace inside, CRLF, a URL around it.
    () => {
      const text = pick(seeds).text;
      const at = 8 + int(text.length - 8);
      return pick([`${text.slice(0, at)}   ${text.slice(at)}\r`, `https://example.invalid/#${text}`, `\t${text} `]);
    },
  ];

  const lines: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    // One line in ~500 is over the limit (up to 150 KB): each must be refused once, unread.
    if (int(500) === 0) {
      lines.push(Buffer.alloc(65_537 + int(85_000), pick(['A', 'x', ' ', 'é'])));
      continue;
    }
    const line = pick(kinds)();
    lines.push(typeof line === 'string' ? withoutLf(Buffer.from(line)) : line);
  }
  return lines;
}

/** Mangled SDPs for `blob encode`. */
export function badSdps(count: number, seed: number): string[] {
  const random = rng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const junk = ['a=candidate:1 1 udp x 1.2.3.4 99999 typ host', 'a=mid:', 'm=video', 'a=rtpmap:96', 'a=fmtp:96 ;;==;', 'a=setup:', '\u0000', 'a=ice-pwd:é', 'a=fingerprint:sha-256 zz', '{"type":"offer"'];
  return Array.from({ length: count }, () => {
    const lines = (int(2) ? WERIFT : CHROMIUM).split('\n');
    for (let k = 0, n = 1 + int(5); k < n; k++) {
      const at = int(lines.length);
      const op = int(3);
      if (op === 0) lines.splice(at, 1);
      else if (op === 1) lines.splice(at, 0, junk[int(junk.length)]!);
      else lines[at] = (lines[at] ?? '').slice(0, int((lines[at] ?? '').length + 1));
    }
    return lines.join('\n');
  });
}
