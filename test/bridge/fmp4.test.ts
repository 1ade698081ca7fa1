import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toAvc } from '../../src/playback/avc.ts';
import { initSegment, mediaSegment, TIMESCALE } from '../../src/playback/fmp4.ts';
import { avcCSize, spsSize } from '../../src/playback/sps.ts';

/*
 * The fragmented MP4 the page gives Media Source Extensions, read back box by box: each box's
 * size covers exactly its children, the types nest as ISO/IEC 14496-12 says, the avcC is the one
 * avc.ts built, and the fragment's sample table points at the sample bytes.
 */

// SPS NAL units as x264 (through GStreamer) made them, emulation prevention bytes (00 00 03) and all.
const SPS_640x480_BASELINE = hex('6742c01ed900a03db016a0c0c0d4a0000003002000000791e2c5c9');
const SPS_1920x1080_HIGH = hex('67640028acd940780227e5c05a808080a0000003002000000791e30632c0'); // 1088 coded, 8 lines cropped
const SPS_200x120_MAIN = hex('674d4015eca1a23cb2e02d418181a940000003004000000f23c58b6580'); // 208×128 coded, cropped
const PPS = hex('68ce3c80');

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));
}

interface Box {
  type: string;
  start: number;
  size: number;
  body: Uint8Array;
  children: Box[];
}

/** Boxes whose bodies are only boxes (after `skip` bytes of their own fields). */
const CONTAINERS: Record<string, number> = { moov: 0, trak: 0, mdia: 0, minf: 0, dinf: 0, stbl: 0, mvex: 0, moof: 0, traf: 0, stsd: 8, dref: 8, avc1: 78 };

/** Reads boxes back; each must end exactly where its parent does. */
function boxes(bytes: Uint8Array, offset = 0): Box[] {
  const found: Box[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    assert.ok(at + 8 <= bytes.length, `a box header at ${offset + at} runs past its parent`);
    const size = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    assert.ok(size >= 8 && at + size <= bytes.length, `${type} at ${offset + at}: size ${size} runs past its parent (${bytes.length - at} left)`);
    const body = bytes.subarray(at + 8, at + size);
    const skip = CONTAINERS[type];
    found.push({ type, start: offset + at, size, body, children: skip === undefined ? [] : boxes(body.subarray(skip), offset + at + 8 + skip) });
    at += size;
  }
  return found;
}

function find(list: Box[], path: string): Box {
  const [head, ...rest] = path.split('/');
  const box = list.find((b) => b.type === head);
  assert.ok(box, `no ${head} in ${list.map((b) => b.type).join(' ')}`);
  return rest.length === 0 ? box : find(box.children, rest.join('/'));
}

const u32 = (body: Uint8Array, at: number): number => new DataView(body.buffer, body.byteOffset).getUint32(at);
const u16 = (body: Uint8Array, at: number): number => new DataView(body.buffer, body.byteOffset).getUint16(at);

test('SPS sizes: cropping, emulation prevention bytes, high and main profiles', () => {
  assert.deepEqual(spsSize(SPS_640x480_BASELINE), { width: 640, height: 480 });
  assert.deepEqual(spsSize(SPS_1920x1080_HIGH), { width: 1920, height: 1080 });
  assert.deepEqual(spsSize(SPS_200x120_MAIN), { width: 200, height: 120 });
  assert.equal(spsSize(SPS_640x480_BASELINE.subarray(0, 6)), undefined, 'an SPS cut short has no size');
});

test('the init segment: ftyp, then moov with one H.264 track on the 90 kHz clock, the avcC as built, fragments to follow', () => {
  const keyframe = Uint8Array.from([0, 0, 0, 1, ...SPS_640x480_BASELINE, 0, 0, 0, 1, ...PPS, 0, 0, 0, 1, 0x65, 0x88, 0x84]);
  const { config } = toAvc(keyframe);
  assert.ok(config);
  const size = avcCSize(config.description);
  assert.deepEqual(size, { width: 640, height: 480 });
  const init = initSegment({ avcC: config.description, ...size! });
  const top = boxes(init);
  assert.deepEqual(top.map((b) => b.type), ['ftyp', 'moov']);
  assert.equal(top[0]!.size + top[1]!.size, init.length, 'nothing after the boxes');
  assert.equal(String.fromCharCode(...top[0]!.body.subarray(0, 4)), 'isom', 'major brand');

  const moov = top[1]!;
  assert.deepEqual(moov.children.map((b) => b.type), ['mvhd', 'trak', 'mvex']);
  const mvhd = find(top, 'moov/mvhd');
  assert.equal(mvhd.size, 108, 'mvhd version 0');
  assert.equal(u32(mvhd.body, 12), TIMESCALE, 'movie timescale');
  const tkhd = find(top, 'moov/trak/tkhd');
  assert.equal(tkhd.size, 92);
  assert.equal(u32(tkhd.body, 0) & 0xffffff, 3, 'track enabled and in the movie');
  assert.equal(u32(tkhd.body, 12), 1, 'track ID');
  assert.equal(u32(tkhd.body, 76), 640 << 16, 'width, 16.16');
  assert.equal(u32(tkhd.body, 80), 480 << 16, 'height, 16.16');
  assert.deepEqual(find(top, 'moov/trak/mdia').children.map((b) => b.type), ['mdhd', 'hdlr', 'minf']);
  const mdhd = find(top, 'moov/trak/mdia/mdhd');
  assert.equal(u32(mdhd.body, 12), TIMESCALE, 'media timescale: the RTP clock');
  assert.equal(String.fromCharCode(...find(top, 'moov/trak/mdia/hdlr').body.subarray(8, 12)), 'vide');
  assert.deepEqual(find(top, 'moov/trak/mdia/minf').children.map((b) => b.type), ['vmhd', 'dinf', 'stbl']);
  assert.deepEqual(find(top, 'moov/trak/mdia/minf/stbl').children.map((b) => b.type), ['stsd', 'stts', 'stsc', 'stsz', 'stco']);
  for (const table of ['stts', 'stsc', 'stco']) assert.equal(u32(find(top, `moov/trak/mdia/minf/stbl/${table}`).body, 4), 0, `${table}: no samples in the init segment`);
  const stsd = find(top, 'moov/trak/mdia/minf/stbl/stsd');
  assert.equal(u32(stsd.body, 4), 1, 'one sample description');
  const avc1 = find(top, 'moov/trak/mdia/minf/stbl/stsd/avc1');
  assert.equal(u16(avc1.body, 6), 1, 'data_reference_index');
  assert.equal(u16(avc1.body, 24), 640, 'avc1 width');
  assert.equal(u16(avc1.body, 26), 480, 'avc1 height');
  assert.equal(u16(avc1.body, 74), 0x18, 'depth');
  const avcC = find(top, 'moov/trak/mdia/minf/stbl/stsd/avc1/avcC');
  assert.deepEqual([...avcC.body], [...config.description], 'the avcC record as avc.ts built it');
  assert.equal(avcC.body[0], 1, 'configurationVersion');
  assert.deepEqual([...avcC.body.subarray(1, 4)], [0x42, 0xc0, 0x1e], 'profile, constraints, level from the SPS');
  const trex = find(top, 'moov/mvex/trex');
  assert.equal(trex.size, 32);
  assert.equal(u32(trex.body, 4), 1, 'trex for track 1');
  assert.equal(u32(trex.body, 8), 1, 'default sample description');
});

test('a media segment: moof (sequence, track, decode time, sample table) and mdat holding the samples where trun says', () => {
  const key = Uint8Array.from([0, 0, 0, 3, 0x65, 0x88, 0x84]);
  const delta = Uint8Array.from([0, 0, 0, 2, 0x41, 0x9a]);
  const decodeTime = 2 ** 33 + 3000; // past 32 bits: tfdt is version 1
  const segment = mediaSegment(7, [
    { decodeTime, duration: 3000, key: true, data: key },
    { decodeTime: decodeTime + 3000, duration: 3003, key: false, data: delta },
  ]);
  const top = boxes(segment);
  assert.deepEqual(top.map((b) => b.type), ['moof', 'mdat']);
  assert.equal(top[0]!.size + top[1]!.size, segment.length);
  assert.deepEqual(top[0]!.children.map((b) => b.type), ['mfhd', 'traf']);
  assert.equal(u32(find(top, 'moof/mfhd').body, 4), 7, 'sequence number');
  assert.deepEqual(find(top, 'moof/traf').children.map((b) => b.type), ['tfhd', 'tfdt', 'trun']);
  const tfhd = find(top, 'moof/traf/tfhd');
  assert.equal(u32(tfhd.body, 0), 0x020000, 'version 0, default-base-is-moof');
  assert.equal(u32(tfhd.body, 4), 1, 'track ID');
  const tfdt = find(top, 'moof/traf/tfdt');
  assert.equal(tfdt.body[0], 1, 'tfdt version 1: a 64-bit decode time');
  assert.equal(new DataView(tfdt.body.buffer, tfdt.body.byteOffset).getBigUint64(4), BigInt(decodeTime));
  const trun = find(top, 'moof/traf/trun');
  assert.equal(u32(trun.body, 0), 0x000701, 'version 0; data offset, sample duration, size, flags present');
  assert.equal(u32(trun.body, 4), 2, 'sample count');
  const dataOffset = u32(trun.body, 8);
  assert.equal(dataOffset, top[0]!.size + 8, 'the data offset: past the moof and the mdat header');
  assert.deepEqual(
    [0, 1].map((i) => [u32(trun.body, 12 + i * 12), u32(trun.body, 16 + i * 12), u32(trun.body, 20 + i * 12)]),
    [
      [3000, key.length, 0x02000000], // duration, size, flags: depends on nothing (a sync sample)
      [3003, delta.length, 0x01010000], // depends on others, not a sync sample
    ],
  );
  assert.deepEqual([...segment.subarray(dataOffset, dataOffset + key.length)], [...key]);
  assert.deepEqual([...segment.subarray(dataOffset + key.length)], [...delta]);
  assert.throws(() => mediaSegment(8, []), RangeError);
});
