import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzAgentStdin, fuzzCli } from './drive.ts';

/*
 * The suite's share of the fuzz run (`npm run fuzz` does 100 000 and more): 6 000 bad lines on a
 * watched agent's stdin and 6 000 bad stdins for the blob CLI, each seed fixed so a failure
 * replays.
 */
test('6 000 bad lines on the stdin of a watched agent: one event each, no frame gap of 250 ms, the offer still open', async () => {
  const result = await fuzzAgentStdin(6000, 16);
  assert.ok(result.lines >= 6000);
  console.log(`agent stdin fuzz: ${JSON.stringify(result)}`);
});

test('6 000 bad stdins for pi-agent blob: exit 0 with output or exit 1 with one line, never a stack', async () => {
  const result = await fuzzCli(6000, 61);
  assert.ok(result.runs >= 6000);
  assert.ok((result.exits['1'] ?? 0) > 4000, 'most inputs are refused');
  console.log(`CLI fuzz: ${JSON.stringify(result)}`);
});
