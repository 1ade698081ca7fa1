/**
 * npm run bench:engine — the sending process's CPU at 0, 1, 2 and 4 real Chromium viewers, for
 * pi-agent on its test source and for the floor of this design: a minimal forwarder on bare
 * node-datachannel (bench/engine-forwarder.ts) sending the same gst-launch H.264 RTP, in the same
 * run, at 640×480 @ 2 Mbit/s and 1280×720 @ 4 Mbit/s. Every viewer must have decoded frames.
 * The offer→answer hand-over is direct. Prints figures and ratios; asserts only that video flowed.
 * WARMUP_S / WINDOW_S: seconds before and of each measurement (default 3 and 8). The agent runs on
 * the engine PIGEON_ENGINE names (its own default without), and each row says which.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeBlob, encodeBlob } from '../src/signal/index.ts';
import { AgentProcess, type BrowserPeer, type ChromiumHandle, eventually, launchChromium } from '../test/harness/index.ts';
import { DEFAULT_ENGINE } from '../pi-agent/src/webrtc/engine-choice.ts';
import { cpuSeconds } from './proc-cpu.ts';

const WARMUP_MS = Number(process.env.WARMUP_S ?? 3) * 1000;
const WINDOW_MS = Number(process.env.WINDOW_S ?? 8) * 1000;
const COUNTS = [0, 1, 2, 4];
/** The agent's engine in this run, as its rows name it. */
const AGENT_ENGINE = process.env.PIGEON_ENGINE || DEFAULT_ENGINE;
const SIZES = [
  { width: 640, height: 480, kbits: 2000 },
  { width: 1280, height: 720, kbits: 4000 },
];

/** One sending process: its pid, a way to add a viewer (Chromium answers its offer), and a stop. */
interface Sender {
  pid: number;
  join(viewer: BrowserPeer): Promise<void>;
  stop(): Promise<void>;
}

async function agentSender(width: number, height: number, kbits: number): Promise<Sender> {
  const agent = new AgentProcess(['offer', '--source', 'test', '--width', String(width), '--height', String(height), '--bitrate', String(kbits), '--viewers', '8', '--stats-interval', '0']);
  await agent.next('pipeline', { where: (e) => e.state === 'started' });
  const used = new Set<number>();
  return {
    pid: agent.pid,
    join: async (viewer) => {
      const offer = await agent.next('offer', { where: (e) => !used.has(e.offerId) });
      used.add(offer.offerId);
      const sdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
      agent.write(encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }).text);
      await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
    },
    stop: async () => void (await agent.stop()),
  };
}

async function forwarderSender(width: number, height: number, kbits: number): Promise<Sender> {
  const script = fileURLToPath(new URL('./engine-forwarder.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(width), String(height), String(kbits)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((line: { type: string; id?: number; sdp?: string }) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  const nextLine = (): Promise<{ type: string; id?: number; sdp?: string }> => new Promise((resolve) => waiting.push(resolve));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const ready = await nextLine();
  if (ready.type !== 'ready') throw new Error(`forwarder said ${JSON.stringify(ready)}`);
  return {
    pid: child.pid!,
    join: async (viewer) => {
      const reply = nextLine();
      child.stdin.write(`${JSON.stringify({ cmd: 'offer' })}\n`);
      const offer = await reply;
      const sdp = await viewer.acceptOffer(offer.sdp!);
      child.stdin.write(`${JSON.stringify({ cmd: 'answer', id: offer.id, sdp })}\n`);
    },
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU (percent of one core) of the sender at each viewer count; every viewer's frames decoded checked > 0. */
async function measure(chromium: ChromiumHandle, sender: Sender): Promise<number[]> {
  const viewers: BrowserPeer[] = [];
  const cpu: number[] = [];
  try {
    for (const count of COUNTS) {
      while (viewers.length < count) {
        const viewer = await chromium.newPeer();
        viewers.push(viewer);
        await sender.join(viewer);
      }
      const decodedAll = (): Promise<number[]> => Promise.all(viewers.map(async (v) => (await v.videoStats(1000)).framesDecoded));
      const started = await eventually(decodedAll, (d) => d.every((n) => n > 0), 20_000);
      if (started.some((n) => n === 0)) throw new Error(`a viewer decoded no frame within 20 s: ${started.join(' ')}`);
      await sleep(WARMUP_MS);
      const [c0, t0] = [cpuSeconds(sender.pid), Date.now()];
      await sleep(WINDOW_MS);
      cpu.push(((cpuSeconds(sender.pid) - c0) / ((Date.now() - t0) / 1000)) * 100);
      const decoded = await decodedAll();
      console.error(`  ${count} viewers: ${cpu.at(-1)!.toFixed(1)} %, frames decoded per viewer ${decoded.join(' ') || '-'}`);
    }
  } finally {
    await Promise.allSettled(viewers.map((v) => v.close()));
    await sender.stop();
  }
  return cpu;
}

/** Least-squares slope of CPU over the viewer counts: the cost of one more viewer. */
function slope(ys: number[]): number {
  const n = COUNTS.length;
  const mx = COUNTS.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const sxy = COUNTS.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0);
  const sxx = COUNTS.reduce((a, x) => a + (x - mx) ** 2, 0);
  return sxy / sxx;
}

const rows: string[] = [];
const chromium = await launchChromium();
try {
  for (const { width, height, kbits } of SIZES) {
    const label = `${width}×${height}, ${kbits / 1000} Mbit/s`;
    console.error(`pi-agent, ${label}`);
    const agent = await measure(chromium, await agentSender(width, height, kbits));
    console.error(`node-datachannel forwarder, ${label}`);
    const floor = await measure(chromium, await forwarderSender(width, height, kbits));
    const cells = (ys: number[]): string => ys.map((y) => `${y.toFixed(1)} %`).join(' | ');
    rows.push(`| pi-agent (${AGENT_ENGINE}), ${label} | ${cells(agent)} | **${slope(agent).toFixed(2)} %** | ${(slope(agent) / slope(floor)).toFixed(2)}× |`);
    rows.push(`| forwarder on node-datachannel, ${label} | ${cells(floor)} | **${slope(floor).toFixed(2)} %** | 1× |`);
  }
} finally {
  await chromium.close();
}
console.log(`sender CPU, percent of one core, over ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up; per viewer = least-squares slope over 0–4 viewers`);
console.log('| | 0 viewers | 1 | 2 | 4 | per viewer | ratio to floor |');
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log('goal (issue 24): the agent within 1.3× the floor per viewer, and ≤ 1 % of a core per viewer at 720p');
