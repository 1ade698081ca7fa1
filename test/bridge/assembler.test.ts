import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameAssembler, type Assembled, type RtpPacket } from '../../bridge/src/depacketize/assembler.ts';

const SPS = [0x67, 0x42, 0xc0, 0x1e, 0xda];
const PPS = [0x68, 0xce, 0x3c, 0x80];
const IDR = [0x65, 0x88, 0x82, 0x05, 0x20, 0xc6];
const SLICE = [0x41, 0x9a, 0x02, 0x04];

function packet(sequenceNumber: number, timestamp: number, marker: boolean, payload: number[]): RtpPacket {
  return { sequenceNumber, timestamp, marker, payload: Buffer.from(payload) };
}

/** A STAP-A with SPS and PPS, then the IDR in two FU-A fragments: how the agent sends a keyframe. */
function keyframe(sequence: number, timestamp: number): RtpPacket[] {
  const stapA = [0x18, 0, SPS.length, ...SPS, 0, PPS.length, ...PPS];
  const fuIndicator = (IDR[0]! & 0xe0) | 28;
  return [
    packet(sequence, timestamp, false, stapA),
    packet(sequence + 1, timestamp, false, [fuIndicator, 0x80 | 5, ...IDR.slice(1, 3)]),
    packet(sequence + 2, timestamp, true, [fuIndicator, 0x40 | 5, ...IDR.slice(3)]),
  ];
}

function pushAll(assembler: FrameAssembler, packets: RtpPacket[]): Assembled[] {
  return packets.flatMap((p) => {
    const out = assembler.push(p);
    return out ? [out] : [];
  });
}

const annexB = (...units: number[][]): Buffer => Buffer.from(units.flatMap((unit) => [0, 0, 0, 1, ...unit]));

test('H.264: a STAP-A and FU-A keyframe becomes one Annex B access unit with its SPS and PPS', () => {
  const assembler = new FrameAssembler('H264');
  const out = pushAll(assembler, keyframe(100, 9000));
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], { kind: 'frame', frame: { keyframe: true, discontinuity: false, rtpTimestamp: 9000, timestampUs: 0, data: annexB(SPS, PPS, IDR) } });
  const delta = pushAll(assembler, [packet(103, 12000, true, SLICE)]);
  assert.deepEqual(delta, [{ kind: 'frame', frame: { keyframe: false, discontinuity: false, rtpTimestamp: 12000, timestampUs: 33_333, data: annexB(SLICE) } }]);
});

test('nothing before the first keyframe (each such frame asks for one); a lost packet is reported once, and nothing follows until a keyframe, marked as after a gap', () => {
  const assembler = new FrameAssembler('H264');
  assert.deepEqual(pushAll(assembler, [packet(1, 0, true, SLICE)]), [{ kind: 'need-keyframe' }]);
  assert.equal(pushAll(assembler, keyframe(2, 3000)).length, 1);
  // Sequence 5 never comes: the frame of 6 is broken.
  assert.deepEqual(pushAll(assembler, [packet(6, 6000, true, SLICE)]), [{ kind: 'lost' }]);
  assert.deepEqual(pushAll(assembler, [packet(7, 9000, true, SLICE)]), [{ kind: 'need-keyframe' }]);
  const after = pushAll(assembler, keyframe(8, 12000));
  assert.equal(after[0]?.kind === 'frame' && after[0].frame.keyframe && after[0].frame.discontinuity, true);
});

test('a frame whose marker packet was lost is dropped when the next timestamp starts; duplicates and late packets are ignored', () => {
  const assembler = new FrameAssembler('H264');
  pushAll(assembler, keyframe(10, 0));
  assert.deepEqual(pushAll(assembler, [packet(13, 3000, false, SLICE), packet(13, 3000, false, SLICE), packet(12, 0, true, SLICE)]), []);
  // 14 (3000's marker) is lost; 15 starts 6000.
  assert.deepEqual(pushAll(assembler, [packet(15, 6000, true, SLICE)]), [{ kind: 'lost' }]);
});

test('the presentation time keeps counting across the 32-bit RTP timestamp wrap and the sequence wrap', () => {
  const assembler = new FrameAssembler('H264');
  const start = 2 ** 32 - 3000;
  pushAll(assembler, keyframe(65534, start));
  const out = pushAll(assembler, [packet(1, 0, true, SLICE), packet(2, 3000, true, SLICE)]);
  assert.deepEqual(out.map((o) => (o.kind === 'frame' ? o.frame.timestampUs : -1)), [33_333, 66_667]);
});

test('VP8: a keyframe is told by its payload header, and a frame spans packets up to the marker', () => {
  const assembler = new FrameAssembler('VP8');
  // Payload descriptor 0x10 (S=1, partition 0), then the VP8 frame tag: bit 0 clear = keyframe.
  const out = pushAll(assembler, [packet(1, 0, false, [0x10, 0x50, 0x01, 0x00]), packet(2, 0, true, [0x00, 0x9d, 0x01, 0x2a])]);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.kind === 'frame' && out[0].frame.keyframe, true);
  assert.deepEqual(out[0]?.kind === 'frame' && [...out[0].frame.data], [0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a]);
  const delta = pushAll(assembler, [packet(3, 3000, true, [0x10, 0x51, 0x02])]);
  assert.equal(delta[0]?.kind === 'frame' && delta[0].frame.keyframe, false);
});
