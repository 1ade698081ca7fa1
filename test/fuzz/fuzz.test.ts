import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stallVerdict } from '../harness/index.ts';
import { fuzzAgentStdin, fuzzCli } from './drive.ts';

/*
 * The suite's share of the fuzz run (`npm run fuzz` does 100 000 and more): 5 000 bad lines on a
 * watched agent's stdin and 5 000 bad stdins for the blob CLI, each seed fixed so a failure
 * replays.
 */
test('5 000 bad lines on the stdin of a watched agent: one event each, no frame gap of 250 ms, the offer still open', async () => {
  const result = await fuzzAgentStdin(5000, 16);
  console.log(`agent stdin fuzz: ${JSON.stringify(result)}`);
  assert.ok(result.lines >= 5000);
  const verdict = stallVerdict('5 000 bad lines', result.longestGapMs, result.controlGapMs);
  assert.equal(verdict, undefined, verdict);
});

test('5 000 bad stdins for pi-agent blob: exit 0 with output or exit 1 with one line, never a stack', async () => {
  const result = await fuzzCli(5000, 61);
  assert.ok(result.runs >= 5000);
  assert.ok((result.exits['1'] ?? 0) > 3500, 'most inputs are refused');
  console.log(`CLI fuzz: ${JSON.stringify(result)}`);
});
