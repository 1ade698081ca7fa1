/**
 * npm run bench:bridge — the bridge on this machine with one viewer: the real agent on its test
 * source at its defaults (640×480@30, ~2 Mbit/s H.264), the real bridge, and a page (a Node
 * WebSocket client) taking the frames. Over WINDOW_S seconds (default 20): frames per second
 * delivered to the page, and the bridge process's CPU (user + system, % of one core).
 * Prints figures; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentProcess } from '../test/agent/agent-process.ts';
import { BridgeProcess } from '../test/bridge/bridge-process.ts';
import { WsPage } from '../test/bridge/ws-page.ts';

const WINDOW_S = Number(process.env.WINDOW_S ?? 20);
const TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  // Fields 14 and 15 of /proc/PID/stat (after the command name in parentheses): utime, stime.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

const agent = new AgentProcess(['offer', '--source', 'test', '--stats-interval', '0']);
const bridge = new BridgeProcess();
try {
  const [offer, url] = await Promise.all([agent.next('offer'), bridge.url]);
  const page = await WsPage.open(url, { origin: 'tauri://localhost' });
  page.send({ v: 1, type: 'accept', offer: offer.text });
  agent.write((await page.next('answer')).text);
  await page.framesUntil(30);
  await sleep(2000);
  const frames0 = page.frames.length;
  const bytes0 = page.frames.reduce((sum, f) => sum + f.data.length, 0);
  const cpu0 = cpuTicks(bridge.pid);
  const t0 = Date.now();
  await sleep(WINDOW_S * 1000);
  const seconds = (Date.now() - t0) / 1000;
  const frames = page.frames.length - frames0;
  const kbps = ((page.frames.reduce((sum, f) => sum + f.data.length, 0) - bytes0) * 8) / seconds / 1000;
  const cpu = ((cpuTicks(bridge.pid) - cpu0) / TICKS / seconds) * 100;
  const gaps = page.frames.slice(frames0).filter((f) => f.discontinuity).length;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`bridge, one viewer, ${seconds.toFixed(1)} s: ${(frames / seconds).toFixed(1)} frames/s delivered, ${kbps.toFixed(0)} kbit/s, ${gaps} gaps; bridge CPU ${cpu.toFixed(1)} % of one core (load average ${load})`);
  page.close();
} finally {
  await Promise.allSettled([bridge.stop(), agent.stop()]);
}
