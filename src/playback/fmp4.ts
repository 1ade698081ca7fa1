/**
 * Fragmented MP4 (ISO/IEC 14496-12, the ISO BMFF byte stream format Media Source Extensions
 * read) for one H.264 video track: an init segment (ftyp + moov, the avcC from ./avc.ts), then a
 * media segment (moof + mdat) per access unit or small run of them. For engines that show the
 * bridge's frames through MSE rather than WebCodecs. The Pi's encoders make no B-frames, so each
 * sample's presentation time is its decode time (no composition offsets). Pure.
 */

/** The track's clock: the RTP clock the Pi stamps its frames with. */
export const TIMESCALE = 90_000;
const TRACK_ID = 1;

export interface InitOptions {
  /** The AVCDecoderConfigurationRecord (./avc.ts). */
  avcC: Uint8Array;
  width: number;
  height: number;
}

export interface Sample {
  /** When it is decoded and shown, in TIMESCALE ticks. */
  decodeTime: number;
  /** How long it shows, in TIMESCALE ticks. */
  duration: number;
  /** Decodes on its own (an IDR). */
  key: boolean;
  /** The access unit in the AVC form: NAL units each behind a 4-byte length, no parameter sets. */
  data: Uint8Array;
}

/** ftyp + moov: what a SourceBuffer takes before any media segment, and again when the avcC changes. */
export function initSegment({ avcC, width, height }: InitOptions): Uint8Array<ArrayBuffer> {
  const ftyp = box('ftyp', ascii('isom'), u32(0x200), ascii('isom'), ascii('iso6'), ascii('avc1'), ascii('mp41'));
  const avc1 = box(
    'avc1',
    zeros(6), // reserved
    u16(1), // data_reference_index
    zeros(16), // pre_defined, reserved
    u16(width),
    u16(height),
    u32(0x00480000), // 72 dpi across
    u32(0x00480000), // and down
    zeros(4), // reserved
    u16(1), // frame_count
    zeros(32), // compressorname
    u16(0x0018), // depth: colour, no alpha
    u16(0xffff), // pre_defined = -1
    box('avcC', avcC),
  );
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), avc1),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  const minf = box(
    'minf',
    fullBox('vmhd', 0, 1, zeros(8)), // graphicsmode copy, opcolor
    box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1))), // media in this file
    stbl,
  );
  const mdia = box(
    'mdia',
    fullBox('mdhd', 0, 0, zeros(8), u32(TIMESCALE), u32(0), u16(0x55c4), u16(0)), // times, timescale, duration, 'und', pre_defined
    fullBox('hdlr', 0, 0, u32(0), ascii('vide'), zeros(12), ascii('Pigeon\0')),
    minf,
  );
  const tkhd = fullBox(
    'tkhd',
    0,
    3, // enabled, in the movie
    zeros(8), // creation, modification
    u32(TRACK_ID),
    zeros(4), // reserved
    u32(0), // duration: fragments say
    zeros(8), // reserved
    u16(0), // layer
    u16(0), // alternate_group
    u16(0), // volume: video
    zeros(2), // reserved
    MATRIX,
    u32(width * 0x10000), // 16.16 fixed point
    u32(height * 0x10000),
  );
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    zeros(8), // creation, modification
    u32(TIMESCALE),
    u32(0), // duration: fragments say
    u32(0x00010000), // rate 1.0
    u16(0x0100), // volume 1.0
    zeros(10), // reserved
    MATRIX,
    zeros(24), // pre_defined
    u32(TRACK_ID + 1), // next_track_ID
  );
  const mvex = box('mvex', fullBox('trex', 0, 0, u32(TRACK_ID), u32(1), u32(0), u32(0), u32(0)));
  return concat(ftyp, box('moov', mvhd, box('trak', tkhd, mdia), mvex));
}

/** moof + mdat for `samples` in decode order, the first's decodeTime as the fragment's base. */
export function mediaSegment(sequence: number, samples: readonly Sample[]): Uint8Array<ArrayBuffer> {
  const first = samples[0];
  if (!first) throw new RangeError('a media segment needs at least one sample');
  const trunFlags = 0x000001 | 0x000100 | 0x000200 | 0x000400; // data offset; per sample duration, size, flags
  const entries = samples.map((sample) => concat(u32(sample.duration), u32(sample.data.length), u32(sample.key ? SYNC : NOT_SYNC)));
  const moofOf = (dataOffset: number): Uint8Array =>
    box(
      'moof',
      fullBox('mfhd', 0, 0, u32(sequence)),
      box(
        'traf',
        fullBox('tfhd', 0, 0x020000, u32(TRACK_ID)), // default-base-is-moof
        fullBox('tfdt', 1, 0, u64(first.decodeTime)),
        fullBox('trun', 0, trunFlags, u32(samples.length), u32(dataOffset), ...entries),
      ),
    );
  // The data offset counts from the moof's first byte to the first sample, past mdat's header.
  const moof = moofOf(moofOf(0).length + 8);
  return concat(moof, box('mdat', ...samples.map((sample) => sample.data)));
}

/** sample_depends_on = 2 (an I picture). */
const SYNC = 0x02000000;
/** sample_depends_on = 1, sample_is_non_sync_sample. */
const NOT_SYNC = 0x01010000;
/** The identity transform, 16.16 and 2.30 fixed point. */
const MATRIX = concat(u32(0x00010000), u32(0), u32(0), u32(0), u32(0x00010000), u32(0), u32(0), u32(0), u32(0x40000000));

function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const body = concat(...parts);
  return concat(u32(8 + body.length), ascii(type), body);
}

function fullBox(type: string, version: number, flags: number, ...parts: Uint8Array[]): Uint8Array {
  return box(type, Uint8Array.of(version, (flags >> 16) & 0xff, (flags >> 8) & 0xff, flags & 0xff), ...parts);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function u16(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, Math.round(value))));
  return out;
}

const zeros = (count: number): Uint8Array => new Uint8Array(count);

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}
