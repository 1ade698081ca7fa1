/**
 * npm run bench:agent-start — the agent's start to its first offer (spawn to the first `offer`
 * event with --json, `--source test`), run from the checkout (TypeScript through tsx, as
 * `npm ci` leaves it) against the packed agent (npm pack, installed in a temporary folder: the
 * esbuild bundle on plain Node), alternately, RUNS times each. PIGEON_AGENT_NODE runs both on
 * another Node, e.g. scripts/arm64-root.sh's arm64 one by emulation. Prints figures; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentProcess } from '../test/harness/index.ts';
import { npmInstall, npmPack } from '../test/harness/packed.ts';

const RUNS = Number(process.env.RUNS ?? 5);
const AGENT_DIR = fileURLToPath(new URL('../pi-agent/', import.meta.url));

async function toFirstOffer(bin?: string): Promise<number> {
  const started = performance.now();
  const agent = new AgentProcess(['offer', '--source', 'test', '--stats-interval', '0'], process.env, [], bin);
  try {
    await agent.next('offer', { timeoutMs: 300_000 });
    return performance.now() - started;
  } finally {
    await agent.stop();
  }
}

/** Spawn to exit of `pi-agent --version`: loading the agent's code, with no GStreamer or WebRTC. */
async function toVersion(bin: string): Promise<number> {
  const started = performance.now();
  await promisify(execFile)(process.env.PIGEON_AGENT_NODE ?? process.execPath, [bin, '--version']);
  return performance.now() - started;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const dir = await mkdtemp(join(tmpdir(), 'pigeon-agent-start-'));
try {
  const packed = await npmPack(AGENT_DIR, dir);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'agent-start', private: true }));
  await npmInstall(dir, [packed.file]);
  const packedBin = join(dir, 'node_modules', 'pi-agent', 'bin', 'pi-agent.js');
  const checkoutBin = join(AGENT_DIR, 'bin', 'pi-agent.js');
  const times = { checkout: [] as number[], packed: [] as number[] };
  const loads = { checkout: [] as number[], packed: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    times.checkout.push(await toFirstOffer());
    times.packed.push(await toFirstOffer(packedBin));
    loads.checkout.push(await toVersion(checkoutBin));
    loads.packed.push(await toVersion(packedBin));
  }
  const on = process.env.PIGEON_AGENT_NODE ? `on ${process.env.PIGEON_AGENT_NODE}` : `on this machine's node ${process.version} (${process.arch})`;
  console.log(`agent start to first offer, ${on}, ${RUNS} runs each (ms):`);
  const line = (kind: string, values: number[]): void =>
    console.log(`  ${kind.padEnd(9)} median ${median(values).toFixed(0).padStart(6)}   min ${Math.min(...values).toFixed(0).padStart(6)}   max ${Math.max(...values).toFixed(0).padStart(6)}   [${values.map((v) => v.toFixed(0)).join(', ')}]`);
  for (const [kind, values] of Object.entries(times)) line(kind, values);
  console.log(`pi-agent --version, spawn to exit (the code's load alone), ${RUNS} runs each (ms):`);
  for (const [kind, values] of Object.entries(loads)) line(kind, values);
  console.log(`packed pi-agent: ${(packed.size / 1024).toFixed(0)} KiB tarball, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${packed.entryCount} files`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
