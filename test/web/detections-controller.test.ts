import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReactiveControllerHost } from 'lit';
import { DetectionsController } from '../../src/controllers/detections-controller.ts';
import type { DetectionsMessage } from '../../src/controllers/agent-channel.ts';

/* Which set of boxes goes over which frame: the pure part of the detections overlay. */
const host = { addController: () => undefined, requestUpdate: () => undefined } as unknown as ReactiveControllerHost;
const set = (label: string, rtpTimestamp?: number): DetectionsMessage => ({
  v: 1,
  type: 'detections',
  boxes: [{ label, confidence: 1, x: 0, y: 0, w: 1, h: 1 }],
  ...(rtpTimestamp === undefined ? {} : { rtpTimestamp }),
});
const label = (message: DetectionsMessage | undefined): string | undefined => message?.boxes[0]?.label;

test('a frame gets the set with the closest RTP timestamp at or before its own, never a later one', () => {
  const d = new DetectionsController(host);
  // 30 fps on the 90 kHz clock: 3000 ticks a frame; the detector is slower and out of order.
  d.add(set('a', 3000));
  d.add(set('c', 12000));
  d.add(set('b', 6000));
  assert.equal(label(d.pick(3000)), 'a');
  assert.equal(label(d.pick(5999)), 'a');
  assert.equal(label(d.pick(6000)), 'b');
  assert.equal(label(d.pick(9000)), 'b');
  assert.equal(label(d.pick(15000)), 'c');
});

test('of two sets for the same frame the later one is drawn: a producer\'s correction, or the next set when its own frame never came', () => {
  const d = new DetectionsController(host);
  d.add(set('first', 6000));
  d.add(set('second', 6000));
  assert.equal(label(d.pick(6000)), 'second');
  assert.equal(label(d.pick(8999)), 'second');
});

test('a frame older than every set gets none; a set more than a second behind the frame is stale', () => {
  const d = new DetectionsController(host);
  d.add(set('a', 100_000));
  assert.equal(d.pick(99_999), undefined);
  assert.equal(label(d.pick(190_000)), 'a');
  assert.equal(d.pick(190_001), undefined);
});

test('the RTP clock wraps at 2^32: a set just before the wrap belongs to the frames just after it', () => {
  const d = new DetectionsController(host);
  d.add(set('before', 2 ** 32 - 1500));
  assert.equal(label(d.pick(1500)), 'before');
  d.add(set('after', 1000));
  assert.equal(label(d.pick(1500)), 'after');
});

test('without timestamps (on the frame or the sets) the latest set is drawn while it is under a second old', () => {
  const d = new DetectionsController(host);
  d.add(set('old'));
  d.add(set('new'));
  const now = performance.now();
  assert.equal(label(d.pick(undefined, now)), 'new');
  assert.equal(label(d.pick(5000, now)), 'new', 'no timestamped set: the latest');
  assert.equal(d.pick(undefined, now + 1500), undefined);
  d.clear();
  assert.equal(d.pick(undefined, now), undefined);
});

test('the filter: hidden draws nothing; a least confidence and a label list keep only the boxes that pass, the same array while all pass', () => {
  const d = new DetectionsController(host);
  const boxes = [
    { label: 'person', confidence: 0.9, x: 0, y: 0, w: 1, h: 1, trackId: 7 },
    { label: 'dog', confidence: 0.4, x: 0, y: 0, w: 1, h: 1 },
  ];
  assert.equal(d.filter(boxes), boxes);
  d.minConfidence = 0.5;
  assert.deepEqual(d.filter(boxes).map((b) => b.label), ['person']);
  d.minConfidence = 0;
  d.labels = ['dog', 'cat'];
  assert.deepEqual(d.filter(boxes).map((b) => b.label), ['dog']);
  d.minConfidence = 0.5;
  assert.deepEqual(d.filter(boxes), []);
  d.labels = [];
  d.minConfidence = 0;
  d.hidden = true;
  assert.deepEqual(d.filter(boxes), []);
  assert.deepEqual(d.filter(undefined), []);
});

test('labels seen in a session are offered in the order first seen, and forgotten with it', () => {
  const d = new DetectionsController(host);
  d.add({ v: 1, type: 'detections', boxes: [{ label: 'dog', confidence: 1, x: 0, y: 0, w: 1, h: 1 }] });
  d.add({ v: 1, type: 'detections', boxes: [{ label: 'person', confidence: 1, x: 0, y: 0, w: 1, h: 1 }, { label: 'dog', confidence: 1, x: 0, y: 0, w: 1, h: 1 }] });
  assert.deepEqual(d.seenLabels, ['dog', 'person']);
  d.clear();
  assert.deepEqual(d.seenLabels, []);
});
