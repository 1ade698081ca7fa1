import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stallVerdict } from '../support/stall.ts';
import { fuzzAgentStdin, fuzzCli } from './drive.ts';

/*
 * The suite's share of the fuzz run (`npm run fuzz` does 100 000 and more): 6 000 bad lines on a
 * watched agent's stdin and 6 000 bad stdins for the blob CLI, each seed fixed so a failure
 * replays.
 */
test('6 000 bad lines on the stdin of a watched agent: one event each, no frame gap of 250 ms, the offer still open', async () => {
  const result = await fuzzAgentStdin(6000, 16);
  console.log(`agent stdin fuzz: ${JSON.stringify(result)}`);
  assert.ok(result.lines >= 6000);
  const verdict = stallVerdict('6 000 bad lines', result.longestGapMs, result.controlGapMs);
  assert.equal(verdict, undefined, verdict);
});

test('6 000 bad stdins for pi-agent blob: exit 0 with output or exit 1 with one line, never a stack', async () => {
  const result = await fuzzCli(6000, 61);
  assert.ok(result.runs >= 6000);
  assert.ok((result.exits['1'] ?? 0) > 4000, 'most inputs are refused');
  console.log(`CLI fuzz: ${JSON.stringify(result)}`);
});
