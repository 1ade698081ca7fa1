import { stallVerdict } from '../harness/index.ts';
import { fuzzAgentStdin, fuzzCli } from './drive.ts';

/*
 * `npm run fuzz [-- COUNT [SEED]]`: COUNT bad inputs (default 100 000), half as lines on the
 * stdin of an agent a Chromium viewer watches, half as stdin for `pi-agent blob`. The suite runs
 * 10 000 of the same (test/fuzz/fuzz.test.ts). Exits non-zero at the first broken promise.
 */
const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Date.now() % 100_000);
if (!(Number.isInteger(count) && count > 0 && Number.isInteger(seed))) {
  console.error('usage: npm run fuzz -- [COUNT] [SEED]');
  process.exit(2);
}
console.log(`fuzz: ${count} inputs, seed ${seed} (replay with: npm run fuzz -- ${count} ${seed})`);
const agent = await fuzzAgentStdin(Math.ceil(count / 2), seed);
console.log(
  `agent stdin: ${agent.lines} lines, ${agent.said} events (one per line that was not blank) in ${(agent.ms / 1000).toFixed(1)} s; ` +
    `longest gap between the viewer's frames ${agent.longestGapMs} ms${agent.controlGapMs === undefined ? '' : ` (${agent.controlGapMs} ms with no input)`}; ${JSON.stringify(agent.codes)}`,
);
const cli = await fuzzCli(Math.floor(count / 2), seed + 1);
console.log(`pi-agent blob: ${cli.runs} runs in ${(cli.ms / 1000).toFixed(1)} s; exit codes ${JSON.stringify(cli.exits)}`);
const stall = stallVerdict(`${agent.lines} bad lines`, agent.longestGapMs, agent.controlGapMs);
console.log(`fuzz: ${agent.lines + cli.runs} inputs in ${((agent.ms + cli.ms) / 1000).toFixed(1)} s, each answered as promised`);
if (stall) {
  console.error(`fuzz: but ${stall}`);
  process.exitCode = 1;
}
