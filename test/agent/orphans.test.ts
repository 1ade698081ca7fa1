/**
 * Nothing outlives the agent: SIGKILL (the OOM killer, `kill -9`) runs no exit hook, so the
 * kernel has to end the gst-launch children (spawnTied's parent-death signal). And an agent whose
 * events nobody reads any more (the ssh session that carried them ended) stops as it would on SIGTERM.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { alive } from '../pipeline/rtp.ts';
import { agentRig } from '../harness/index.ts';

const rig = agentRig();
const BOUND_MS = 2000;

/** The agent's gst-launch-1.0 children (spawned through setpriv, which execs them: same pid). */
function gstChildren(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\S+)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && /(^|\/)gst-launch-1\.0$/.test(m[2] ?? ''))
    .map((m) => Number(m[1]));
}

/** The agent's gst-launch children once there are `count` of them (or after 10 s, whatever runs then). */
async function pipelinesOf(pid: number, count: number): Promise<number[]> {
  const until = Date.now() + 10_000;
  while (gstChildren(pid).length < count && Date.now() < until) await sleep(50);
  return gstChildren(pid);
}

test('after SIGKILL of the agent its camera and display pipelines are gone within 2 s', async (t) => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--display', '--display-sink', 'fakesink']);
  await agent.next('offer');
  const children = await pipelinesOf(agent.pid, 2);
  assert.equal(children.length, 2, 'the camera pipeline and the display pipeline run');

  const killedAt = performance.now();
  await agent.kill();
  // Polled past the bound, so a slow death is measured rather than only refused.
  while (children.some(alive) && performance.now() - killedAt < 5 * BOUND_MS) await sleep(5);
  const orphanMs = performance.now() - killedAt;
  t.diagnostic(`gst-launch children gone ${orphanMs.toFixed(0)} ms after SIGKILL of the agent`);
  assert.deepEqual(children.filter(alive), [], `still running ${orphanMs.toFixed(0)} ms after SIGKILL`);
  assert.ok(orphanMs < BOUND_MS, `the children took ${orphanMs.toFixed(0)} ms to go`);
});

test('when nobody reads its stdout any more, the agent stops cleanly: exit 0, its pipeline gone', async (t) => {
  // --stats-interval 1: something is written to stdout every second, as a streaming agent does.
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '1']);
  await agent.next('offer');
  const children = await pipelinesOf(agent.pid, 1);
  assert.equal(children.length, 1, 'the camera pipeline runs');

  const closedAt = performance.now();
  agent.closeStdout();
  const code = await Promise.race([agent.exited, sleep(20_000).then(() => 'still running')]);
  t.diagnostic(`agent ended ${(performance.now() - closedAt).toFixed(0)} ms after its stdout closed, code ${String(code)}`);
  assert.equal(code, 0, `the agent's stderr: ${agent.stderr.slice(-400)}`);
  assert.deepEqual(children.filter(alive), []);
});
