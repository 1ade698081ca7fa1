// Hailo's JSON (TAPPAS' encode_json.hpp shape, test/fixtures/hailo/roi-messages.txt) and Pigeon's
// own lines read by one decoder, and hailoexportfile's one growing array cut into its frames.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeDetections } from '../../pi-agent/src/detections/detection-message.ts';
import { DetectionError } from '../../pi-agent/src/core/errors.ts';
import { JsonArrayScanner, TOO_LARGE } from '../../pi-agent/src/detections/json-array-scanner.ts';

const FIXTURE = readFileSync(new URL('../fixtures/hailo/roi-messages.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'));

const reason = (text: string): string => {
  try {
    decodeDetections(text);
  } catch (error) {
    assert.ok(error instanceof DetectionError, String(error));
    assert.equal(error.code, 'E_DETECTIONS');
    return error.message;
  }
  assert.fail(`decoded: ${text}`);
};

test('Hailo detections: label, confidence, class id (none for -1), tracking id, box on the frame; the frame is its buffer_offset and export time', () => {
  assert.equal(FIXTURE.length, 4);
  const set = decodeDetections(FIXTURE[0]!);
  assert.deepEqual(set.frame, { offset: 42, wallMs: 1796600000123 });
  assert.deepEqual(set.boxes, [
    { label: 'person', confidence: 0.872345, x: 0.410278, y: 0.219849, w: 0.120117, h: 0.480469, classId: 1, trackId: 7 },
    { label: 'dog', confidence: 0.512, x: 0.05, y: 0.6, w: 0.2, h: 0.3 },
  ]);
});

test('a cascade: the nested face is placed on the frame through its person, classifications become sub-labels, landmarks are left out', () => {
  const { boxes, frame } = decodeDetections(FIXTURE[1]!);
  assert.deepEqual(frame, { offset: 43, wallMs: 1796600000156 });
  assert.deepEqual(boxes, [
    { label: 'person', confidence: 0.9, x: 0.5, y: 0, w: 0.5, h: 1, classId: 1, trackId: 3, sublabel: 'adult' },
    { label: 'face', confidence: 0.75, x: 0.625, y: 0, w: 0.25, h: 0.25, classId: 0, sublabel: 'smiling' },
  ]);
});

test('an empty frame is a set of no boxes; a box over the edge is cut at it; masks are left out', () => {
  assert.deepEqual(decodeDetections(FIXTURE[2]!).boxes, []);
  assert.deepEqual(decodeDetections(FIXTURE[3]!).boxes, [{ label: 'car', confidence: 0.61, x: 0, y: 0.8, w: 0.25, h: 0.2, classId: 3 }]);
});

test("Pigeon's own lines are read as before, and may carry the frame's pts (ns) and offset", () => {
  const box = { label: 'ball', confidence: 0.8, x: 0.1, y: 0.4, w: 0.2, h: 0.2, trackId: 4, sublabel: 'red' };
  assert.deepEqual(decodeDetections(JSON.stringify({ boxes: [box], rtpTimestamp: 90000 })), { boxes: [box], frame: { rtpTimestamp: 90000 } });
  assert.deepEqual(decodeDetections(JSON.stringify({ boxes: [], pts: 1_500_000_000, offset: 45, wallMs: 1796600000123.5 })).frame, { pts: 1_500_000_000, offset: 45, wallMs: 1796600000123.5 });
});

test('broken or unknown messages are refused with the reason, whichever shape they claim', () => {
  assert.equal(reason('{"HailoROI":'), 'not JSON');
  assert.equal(reason('[1,2]'), 'not a JSON object');
  assert.match(reason('{"FaceRecognition":{}}'), /neither Pigeon's .* nor Hailo's/);
  assert.match(reason('{"HailoROI":[]}'), /"HailoROI" is not an object/);
  assert.match(reason('{"HailoROI":{"SubObjects":{}}}'), /"SubObjects" is not an array/);
  assert.match(reason('{"HailoROI":{"SubObjects":[{"HailoDetection":{"label":"cat","confidence":0.5}}]}}'), /HailoDetection has no "HailoBBox"/);
  assert.match(reason('{"HailoROI":{"SubObjects":[{"HailoDetection":{"label":"cat","HailoBBox":{"xmin":0,"ymin":0,"width":1,"height":1}}}]}}'), /"cat" has no "confidence"/);
  assert.match(reason('{"HailoROI":{"SubObjects":[]},"buffer_offset":-1}'), /"buffer_offset" is not a frame count/);
  assert.match(reason('{"boxes":[{"label":"cat","confidence":2,"x":0,"y":0,"w":1,"h":1}]}'), /bad "boxes"/);
  assert.match(reason('{"boxes":[{"label":"cat","confidence":1,"x":0,"y":0,"w":1,"h":1,"trackId":-3}]}'), /bad "boxes"/);
  assert.match(reason('{"boxes":[],"pts":1.5}'), /bad "pts"/);
  assert.match(reason('{"boxes":[],"wallMs":"now"}'), /bad "wallMs"/);
});

/** What hailoexportfile does per frame: onto the closing `]`, a `,` unless the first, the entry pretty-printed, `]`. */
function exportFile(entries: unknown[]): Buffer[] {
  let file = Buffer.from('[]');
  const states = [file];
  for (const entry of entries) {
    const text = `${file.length > 2 ? ',' : ''}${JSON.stringify(entry, null, 4)}]`;
    file = Buffer.concat([file.subarray(0, file.length - 1), Buffer.from(text)]);
    states.push(file);
  }
  return states;
}

test('hailoexportfile: each frame is cut out as the array grows in place, read from where the last read stopped, its closing `]` read again', () => {
  const entries = FIXTURE.map((line) => JSON.parse(line) as unknown);
  const states = exportFile(entries);
  const scanner = new JsonArrayScanner(64 * 1024);
  let at = 0;
  const got: unknown[] = [];
  // The reader comes by at each state and at a few half-written moments in between.
  for (const state of states) {
    for (const cut of [Math.floor((at + state.length) / 2), state.length]) {
      if (cut <= at) continue;
      const { objects, next } = scanner.push(state.subarray(at, cut), at);
      for (const object of objects) got.push(JSON.parse(object as string));
      assert.ok(next <= cut, 'never past what was read');
      at = next;
    }
    if (state.length > 2) assert.equal(state[at], 0x5d, 'after a whole frame it waits on the `]`');
  }
  assert.deepEqual(got, entries);
});

test('hailoexportfile: an entry over the cap is reported once and skipped to its end, strings with brackets do not confuse it', () => {
  const scanner = new JsonArrayScanner(100);
  const big = { HailoROI: { note: 'x'.repeat(300) } };
  const tricky = { HailoROI: { label: 'a } ] [ { " \\" quoted' } };
  const text = Buffer.from(`[${JSON.stringify(big)},${JSON.stringify(tricky)}]`);
  const first = scanner.push(text.subarray(0, 50), 0);
  const rest = scanner.push(text.subarray(50), 50);
  const objects = [...first.objects, ...rest.objects];
  assert.equal(objects.length, 2);
  assert.equal(objects[0], TOO_LARGE);
  assert.deepEqual(JSON.parse(objects[1] as string), tricky);
  assert.equal(rest.next, text.length - 1);
});
