import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nalUnits, toAvc } from '../../src/playback/avc.ts';

const SPS = [0x67, 0x42, 0xc0, 0x1e, 0xda];
const PPS = [0x68, 0xce, 0x3c, 0x80];
const IDR1 = [0x65, 0x88, 0x82];
const IDR2 = [0x65, 0x00, 0x91, 0x04];

test('a keyframe as the agent sends it (parameter sets before each slice) becomes an avcC and length-prefixed slices', () => {
  // AUD (4-byte start code), SPS, PPS, IDR, SPS, PPS, IDR (3-byte start code): what x264's two slices make.
  const annexB = Uint8Array.from([0, 0, 0, 1, 0x09, 0x10, 0, 0, 0, 1, ...SPS, 0, 0, 0, 1, ...PPS, 0, 0, 0, 1, ...IDR1, 0, 0, 0, 1, ...SPS, 0, 0, 0, 1, ...PPS, 0, 0, 1, ...IDR2]);
  assert.equal(nalUnits(annexB).length, 7);
  const { config, data } = toAvc(annexB);
  assert.equal(config?.codec, 'avc1.42c01e');
  assert.deepEqual(
    [...(config?.description ?? [])],
    [
      1, // configurationVersion
      0x42, 0xc0, 0x1e, // profile, constraint flags, level: as the SPS says
      0xff, // reserved bits, lengthSizeMinusOne 3
      0xe1, // reserved bits, one SPS
      0, SPS.length, ...SPS,
      1, // one PPS
      0, PPS.length, ...PPS,
    ],
  );
  assert.deepEqual([...data], [0, 0, 0, IDR1.length, ...IDR1, 0, 0, 0, IDR2.length, ...IDR2]);
});

test('a delta frame has no config, only its slices', () => {
  const { config, data } = toAvc(Uint8Array.from([0, 0, 0, 1, 0x09, 0x30, 0, 0, 0, 1, 0x41, 0x9a, 0, 0, 0, 1, 0x41, 0x01]));
  assert.equal(config, undefined);
  assert.deepEqual([...data], [0, 0, 0, 2, 0x41, 0x9a, 0, 0, 0, 2, 0x41, 0x01]);
});
