/**
 * npm run soak [-- --minutes N] [--steady N] [--no-churn] [--no-restart] [--no-network-change] [--no-gc]
 *
 * The agent streaming to real Chromium viewers for a set time (default 2 h): steady viewers that
 * watch throughout and (unless --no-churn) one that joins and leaves again and again, and, taking
 * turns every eighth of the run (every 15 min in 2 h, at least 30 s apart), pipeline restarts (the
 * encoder's gst-launch killed) and network changes (the agent's address moved between 10.99.0.1 and
 * .3, in network namespaces, when root can make them). Every 10 s
 * it samples the agent's Node process: RSS, heap after a collection (the agent runs with
 * --expose-gc and answers SIGUSR2 with a `memory` event), open fds, UDP sockets (its fds' socket
 * inodes found in /proc/PID/net/udp{,6}) and CPU. It prints each sample and the slopes after the
 * warm-up (until each kind of disturbance has happened once, and 10 minutes more for what it first
 * set up to settle: JIT code, a new child's pipes; those that follow fall inside the judged stretch,
 * so a leak per restart or per move still shows), and fails (exit 1) on growth beyond noise, fds or sockets not back at their start once
 * the churning viewer has gone, or a steady viewer whose video stopped for a whole sample.
 * --no-gc: no collection forced, the heap read as it stands, to see what V8 left alone does.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { decodeBlob, encodeBlob } from '../src/signal/index.ts';
import { AgentProcess, NetnsPair, launchChromium, netnsUnavailable, type BrowserPeer, type ChromiumHandle } from '../test/harness/index.ts';

export interface SoakOptions {
  minutes: number;
  steady: number;
  churn: boolean;
  restart: boolean;
  networkChange: boolean;
  sampleMs: number;
  /** Slopes are judged after this much of the run (default: the first of each disturbance, and ten minutes more). */
  warmupMs?: number;
  /** Heap and RSS may grow this much an hour (beyond their noise) before it is a failure. */
  allowMbPerHour: number;
  /**
   * false: the agent runs without --expose-gc and its heap is read as it stands (no collection
   * forced), to see what its memory does left to V8's own collector; the heap is then not judged.
   */
  gc?: boolean;
  print: (line: string) => void;
}

export interface Sample {
  atMs: number;
  rssMb: number;
  heapMb: number;
  /** Of the heap, compiled code (grows for a while as V8 optimises hot functions). */
  codeMb: number;
  /** Memory outside the JS heap that V8 knows of (Buffers and the like), after the same collection. */
  externalMb: number;
  fds: number;
  udp: number;
  cpuPercent: number;
  viewers: number;
  /** Each steady viewer's frames decoded so far. */
  frames: number[];
}

export interface SoakResult {
  ok: boolean;
  failures: string[];
  samples: Sample[];
  rssSlope: Slope;
  heapSlope: Slope;
  cpuMean: number;
}

interface Slope {
  mbPerHour: number;
  /** The slope's standard error, MB/h. */
  noise: number;
}

const TICKS = 100; // USER_HZ on Linux

/** Least squares of MB against hours. */
export function slope(points: { atMs: number; mb: number }[]): Slope {
  const n = points.length;
  if (n < 3) return { mbPerHour: 0, noise: Number.POSITIVE_INFINITY };
  const xs = points.map((p) => p.atMs / 3_600_000);
  const ys = points.map((p) => p.mb);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const b = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx;
  const residual = ys.reduce((a, y, i) => a + (y - (my + b * (xs[i]! - mx))) ** 2, 0);
  return { mbPerHour: b, noise: Math.sqrt(residual / (n - 2) / sxx) };
}

/** The agent's process as /proc sees it. */
class ProcessProbe {
  private lastTicks = 0;
  private lastAt = 0;

  constructor(private readonly pid: number) {}

  rssMb(): number {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1];
    return Number(kb) / 1024;
  }

  fds(): string[] {
    const dir = `/proc/${this.pid}/fd`;
    return readdirSync(dir).flatMap((fd) => {
      try {
        return [readlinkSync(`${dir}/${fd}`)];
      } catch {
        return [];
      }
    });
  }

  /** UDP sockets among its fds: their inodes in its network namespace's udp tables. */
  udp(links: string[]): number {
    const inodes = new Set(links.map((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1]).filter((i) => i !== undefined));
    let count = 0;
    for (const table of ['udp', 'udp6']) {
      let text: string;
      try {
        text = readFileSync(`/proc/${this.pid}/net/${table}`, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const inode = line.trim().split(/\s+/)[9];
        if (inode !== undefined && inodes.has(inode)) count++;
      }
    }
    return count;
  }

  /** Percent of one core since the last call. */
  cpuPercent(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const at = Date.now();
    const percent = this.lastAt === 0 ? 0 : ((ticks - this.lastTicks) / TICKS / ((at - this.lastAt) / 1000)) * 100;
    this.lastTicks = ticks;
    this.lastAt = at;
    return percent;
  }
}

class Rig {
  private readonly used = new Set<number>();
  constructor(
    readonly agent: AgentProcess,
    private readonly chromium: ChromiumHandle,
  ) {}

  /** A Chromium viewer joins with the offer showing now. */
  async join(): Promise<{ viewer: BrowserPeer; id: number }> {
    const offer = await this.agent.next('offer', { where: (e) => !this.used.has(e.offerId) && this.current() === e.offerId, timeoutMs: 60_000 });
    this.used.add(offer.offerId);
    const viewer = await this.chromium.newPeer();
    const sdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
    this.agent.write(encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }).text);
    await this.agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId, timeoutMs: 60_000 });
    return { viewer, id: offer.offerId };
  }

  /** The offer showing: the last one shown that was not remade or expired since. */
  private current(): number | undefined {
    let id: number | undefined;
    for (const e of this.agent.events) {
      if (e.type === 'offer') id = e.offerId;
      else if ((e.type === 'offer-remade' || e.type === 'offer-expired') && e.offerId === id) id = undefined;
    }
    return id;
  }

  async memory(gc: boolean): Promise<{ heapMb: number; codeMb: number; externalMb: number }> {
    const after = this.agent.events.length;
    process.kill(this.agent.pid, 'SIGUSR2');
    const memory = await this.agent.next('memory', { after, timeoutMs: 20_000 });
    if (memory.gc !== gc) throw new Error(gc ? 'the agent runs without --expose-gc: no heap figure after a collection' : 'the agent collected first');
    return { heapMb: memory.heapUsedMb, codeMb: memory.codeMb, externalMb: memory.externalMb };
  }

  /** The encoder's gst-launch, killed as a crash would: the agent restarts it. */
  killEncoder(): void {
    const children = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    for (const pid of children) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.split(') ')[1]!.split(' ')[1]);
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (ppid === this.agent.pid && cmd.startsWith('gst-launch') && !cmd.includes('multifilesrc')) {
          process.kill(Number(pid), 'SIGKILL');
          return;
        }
      } catch {
        continue;
      }
    }
    throw new Error('no encoder gst-launch found under the agent');
  }
}

export async function soak(options: SoakOptions): Promise<SoakResult> {
  const { print } = options;
  const durationMs = options.minutes * 60_000;
  const why = options.networkChange ? netnsUnavailable() : 'not asked for';
  const net = why === undefined ? new NetnsPair(`${process.pid}s`) : undefined;
  if (options.networkChange && why !== undefined) print(`soak: no network change: ${why}`);
  const kinds: Disturbance[] = [...(options.restart ? ['restart' as const] : []), ...(net ? ['move' as const] : [])];
  const plan = disturbances(durationMs, kinds);
  const settleMs = Math.min(10 * 60_000, Math.max(60_000, durationMs * 0.15));
  const firstOfEach = Math.max(0, ...kinds.map((k) => plan.find((d) => d.kind === k)?.atMs ?? 0));
  const warmupMs = options.warmupMs ?? Math.min(durationMs / 2, firstOfEach + settleMs);
  net?.create();
  const gc = options.gc ?? true;
  const env = gc ? { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim() } : process.env;
  const agent = new AgentProcess(['offer', '--source', 'test', '--stats-interval', '0', '--viewers', String(options.steady + 1), '--offer-ttl', '3600'], env, net ? NetnsPair.wrap(net.agentNs) : []);
  let chromium: ChromiumHandle | undefined;
  const failures: string[] = [];
  const samples: Sample[] = [];
  try {
    chromium = await launchChromium(net ? { wrap: NetnsPair.wrap(net.viewerNs) } : {});
    const rig = new Rig(agent, chromium);
    const steady: BrowserPeer[] = [];
    for (let i = 0; i < options.steady; i++) steady.push((await rig.join()).viewer);
    print(`soak: agent pid ${agent.pid}, ${options.steady} steady viewer(s)${options.churn ? ' and one joining and leaving' : ''}, ${options.minutes} min`);
    const probe = new ProcessProbe(agent.pid);
    probe.cpuPercent();
    const start = Date.now();
    let churner: BrowserPeer | undefined;
    const churned = new Set<number>();
    let churning = options.churn;
    const churn = (async () => {
      // Joins and leaves throughout, and stops a minute before the end so the last samples see the start's state.
      while (churning && Date.now() - start < durationMs - 60_000) {
        await sleep(15_000);
        if (!churning) break;
        const joined = await rig.join();
        churned.add(joined.id);
        churner = joined.viewer;
        await sleep(20_000);
        await churner.close();
        churner = undefined;
      }
    })();
    let agentHost = 1;
    const events = plan.map(({ atMs, kind }) => {
      if (kind === 'restart') return { atMs, what: 'pipeline restart', run: () => rig.killEncoder() };
      return {
        atMs,
        what: 'network change',
        run: () => {
          const to = agentHost === 1 ? 3 : 1;
          net!.removeAgentAddress(agentHost);
          net!.addAgentAddress(to);
          print(`soak: the agent's address moved ${NetnsPair.SUBNET}.${agentHost} -> ${NetnsPair.SUBNET}.${to}`);
          agentHost = to;
        },
      };
    });
    print(`soak: ${plan.length === 0 ? 'no disturbances' : plan.map((d) => `${d.kind === 'restart' ? 'pipeline restart' : 'network change'} at ${(d.atMs / 60_000).toFixed(1)} min`).join(', ')}; slopes judged after ${(warmupMs / 60_000).toFixed(1)} min`);
    print('soak: min    rss MB  heap MB  code MB  ext MB  fds  udp  cpu %  viewers  steady frames');
    while (Date.now() - start < durationMs) {
      const due = events.filter((e) => e.atMs <= Date.now() - start);
      for (const event of due) {
        events.splice(events.indexOf(event), 1);
        print(`soak: ${event.what} at ${((Date.now() - start) / 60_000).toFixed(1)} min`);
        event.run();
      }
      const links = probe.fds();
      const sample: Sample = {
        atMs: Date.now() - start,
        rssMb: probe.rssMb(),
        ...(await rig.memory(gc)),
        fds: links.length,
        udp: probe.udp(links),
        cpuPercent: probe.cpuPercent(),
        viewers: steady.length + (churner ? 1 : 0),
        frames: await Promise.all(steady.map(async (v) => (await v.videoStats()).framesDecoded)),
      };
      samples.push(sample);
      print(
        `soak: ${(sample.atMs / 60_000).toFixed(1).padStart(5)}  ${sample.rssMb.toFixed(1).padStart(6)}  ${sample.heapMb.toFixed(2).padStart(7)}  ${sample.codeMb.toFixed(2).padStart(7)}  ${sample.externalMb.toFixed(2).padStart(6)}  ${String(sample.fds).padStart(3)}  ${String(sample.udp).padStart(3)}  ${sample.cpuPercent.toFixed(1).padStart(5)}  ${String(sample.viewers).padStart(7)}  ${sample.frames.join(' ')}`,
      );
      await sleep(Math.max(0, options.sampleMs - ((Date.now() - start) % options.sampleMs)));
    }
    churning = false;
    await churn;
    failures.push(...verdicts(samples, warmupMs, options));
    // What was done on the way must have happened, or the run proved less than it says.
    const restarts = plan.filter((d) => d.kind === 'restart').length;
    const restartsSeen = agent.events.filter((e) => e.type === 'pipeline' && e.state === 'restarting').length;
    if (restartsSeen < restarts) failures.push(`the agent saw ${restartsSeen} of ${restarts} pipeline restarts`);
    const moves = plan.filter((d) => d.kind === 'move').length;
    const changes = agent.events.filter((e) => e.type === 'network-changed');
    const lastChange = changes.at(-1);
    if (moves > 0 && !changes.some((e) => e.addresses.includes(`${NetnsPair.SUBNET}.3`))) failures.push('the network change was not seen by the agent');
    else if (moves > 1 && !lastChange?.addresses.includes(`${NetnsPair.SUBNET}.${agentHost}`)) failures.push(`the agent's last network change does not name its address now, ${NetnsPair.SUBNET}.${agentHost}`);
    const left = agent.events.filter((e) => e.type === 'viewer-left' && !churned.has(e.viewer));
    if (left.length > 0) failures.push(`steady viewers left: ${left.map((e) => (e.type === 'viewer-left' ? `#${e.viewer} (${e.reason})` : '')).join(', ')}`);
  } finally {
    await agent.stop();
    await chromium?.close().catch(() => undefined);
    net?.destroy();
  }
  const after = samples.filter((s) => s.atMs >= warmupMs);
  const rssSlope = slope(after.map((s) => ({ atMs: s.atMs, mb: s.rssMb })));
  const heapSlope = slope(after.map((s) => ({ atMs: s.atMs, mb: s.heapMb })));
  const externalSlope = slope(after.map((s) => ({ atMs: s.atMs, mb: s.externalMb })));
  const objectsSlope = slope(after.map((s) => ({ atMs: s.atMs, mb: s.heapMb - s.codeMb })));
  const cpuMean = after.reduce((a, s) => a + s.cpuPercent, 0) / Math.max(1, after.length);
  // The same slope from a fixed early point too, so a run can be set beside one judged that way.
  for (const fromMin of [10, 30]) {
    const from = samples.filter((s) => s.atMs >= fromMin * 60_000);
    if (fromMin * 60_000 >= warmupMs || from.length < 30) continue;
    const r = slope(from.map((s) => ({ atMs: s.atMs, mb: s.rssMb })));
    const h = slope(from.map((s) => ({ atMs: s.atMs, mb: s.heapMb })));
    print(`soak: (from ${fromMin} min: RSS ${r.mbPerHour.toFixed(2)} ± ${r.noise.toFixed(2)} MB/h, heap ${h.mbPerHour.toFixed(2)} ± ${h.noise.toFixed(2)} MB/h; not judged)`);
  }
  print(
    `soak: after ${(warmupMs / 60_000).toFixed(1)} min of warm-up: RSS ${rssSlope.mbPerHour.toFixed(1)} ± ${rssSlope.noise.toFixed(1)} MB/h, ` +
      `heap ${gc ? 'after GC' : 'as it stood (no GC forced)'} ${heapSlope.mbPerHour.toFixed(2)} ± ${heapSlope.noise.toFixed(2)} MB/h (objects ${objectsSlope.mbPerHour.toFixed(2)} ± ${objectsSlope.noise.toFixed(2)}, the rest compiled code), external ${externalSlope.mbPerHour.toFixed(2)} MB/h, CPU ${cpuMean.toFixed(1)} % of a core`,
  );
  print(failures.length === 0 ? 'soak: ok' : `soak: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  return { ok: failures.length === 0, failures, samples, rssSlope, heapSlope, cpuMean };
}

/** What the soak does to the agent on the way: its encoder killed, or its address moved. */
type Disturbance = 'restart' | 'move';

/**
 * Pipeline restarts and network changes taking turns, one every eighth of the run (15 min in 2 h,
 * at least 30 s apart), none in the last half-interval so the end's samples see it settled.
 */
export function disturbances(durationMs: number, kinds: Disturbance[]): { atMs: number; kind: Disturbance }[] {
  if (kinds.length === 0) return [];
  const every = Math.max(30_000, Math.min(15 * 60_000, durationMs / 8));
  const plan: { atMs: number; kind: Disturbance }[] = [];
  for (let atMs = every; atMs <= durationMs - every / 2; atMs += every) plan.push({ atMs, kind: kinds[plan.length % kinds.length]! });
  return plan;
}

/** What the samples say is wrong. */
function verdicts(samples: Sample[], warmupMs: number, options: SoakOptions): string[] {
  const failures: string[] = [];
  const after = samples.filter((s) => s.atMs >= warmupMs);
  const judged = [
    ...(options.gc === false ? [] : [['heap after GC', (s: Sample) => s.heapMb] as const]),
    ['RSS', (s: Sample) => s.rssMb] as const,
  ];
  for (const [name, pick] of judged) {
    const { mbPerHour, noise } = slope(after.map((s) => ({ atMs: s.atMs, mb: pick(s) })));
    // Beyond noise: more than the allowance even at two standard errors below the fitted slope.
    if (mbPerHour - 2 * noise > options.allowMbPerHour) failures.push(`${name} grows ${mbPerHour.toFixed(2)} ± ${noise.toFixed(2)} MB/h after warm-up (allowed ${options.allowMbPerHour})`);
  }
  // With the steady viewers only: the most at the start against the least at the end (an offer
  // being remade or a peer closing moves a count by one for a moment; a leak stays).
  const alone = samples.filter((s) => s.viewers === options.steady && s.atMs >= options.sampleMs);
  const first = alone.slice(0, 3);
  const last = alone.slice(-3);
  if (alone.length >= 4) {
    for (const [name, pick] of [
      ['open fds', (s: Sample) => s.fds],
      ['UDP sockets', (s: Sample) => s.udp],
    ] as const) {
      const start = Math.max(...first.map(pick));
      const end = Math.min(...last.map(pick));
      if (end > start) failures.push(`${name} not back at their start: ${start} then ${end}`);
    }
  }
  samples.slice(1).forEach((s, i) => {
    s.frames.forEach((frames, v) => {
      if (frames <= samples[i]!.frames[v]!) failures.push(`steady viewer ${v + 1} decoded no frame between ${(samples[i]!.atMs / 1000).toFixed(0)} s and ${(s.atMs / 1000).toFixed(0)} s`);
    });
  });
  return failures;
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const result = await soak({
    minutes: Number(flag(args, '--minutes') ?? 120),
    steady: Number(flag(args, '--steady') ?? 2),
    churn: !args.includes('--no-churn'),
    restart: !args.includes('--no-restart'),
    networkChange: !args.includes('--no-network-change'),
    sampleMs: 10_000,
    allowMbPerHour: Number(flag(args, '--allow-mb-per-hour') ?? 1),
    gc: !args.includes('--no-gc'),
    print: (line) => console.log(line),
  });
  process.exit(result.ok ? 0 : 1);
}
