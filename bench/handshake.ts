/**
 * npm run bench:handshake — how long after the hand-over the first frame comes, when a person
 * carries the answer: held 0, 5, 15, 35 and 120 s, in both directions, beside GStreamer's own
 * webrtcbin as the sender in the same run (same Chromium, same 640×480@30 x264 test picture).
 *
 *   Pi offers    the agent's offer blob → Chromium answers the SDP decoded from it → the answer
 *                blob, held, is pasted into the agent
 *   page offers  Chromium's offer blob (agent codecs) → `pi-agent answer` → its answer blob, held,
 *                is given to Chromium
 *   webrtcbin    webrtcbin offers H.264 → Chromium answers → the answer, held, is given to webrtcbin
 *
 * The hold starts when the answer exists and ends when it is handed over; the time is from then
 * to Chromium's first decoded frame. The three run side by side, started 2 s apart so their
 * hand-overs do not meet. Prints figures; asserts nothing. HOLDS=0,5 RUNS=3 for a shorter run.
 */
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeBlob, encodeBlob, isAgentCodec } from '../src/signal/index.ts';
import { AgentProcess, type BrowserPeer, type ChromiumHandle, launchChromium, WEBRTCBIN_PACKAGES, webrtcbinAvailable, WebrtcbinPeer } from '../test/harness/index.ts';

const HOLDS = (process.env.HOLDS ?? '0,5,15,35,120').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 5);
const STAGGER_MS = 2000;
const NO_FRAME_MS = 20_000;

/** One attempt, ready to hand its answer over: the hold runs from when this resolves. */
interface Prepared {
  handOver(): Promise<void> | void;
  viewer: BrowserPeer;
  close(): Promise<void>;
}

interface Row {
  name: string;
  prepare(): Promise<Prepared>;
}

function piOffers(chromium: ChromiumHandle, agent: AgentProcess): Row {
  const used = new Set<number>();
  return {
    name: 'Pi offers → page answers',
    async prepare() {
      const offer = await agent.next('offer', { where: (e) => !used.has(e.offerId), timeoutMs: 30_000 });
      used.add(offer.offerId);
      const viewer = await chromium.newPeer();
      const sdp = await viewer.acceptOffer(decodeBlob(offer.text, { expect: 'offer' }).sdp);
      const answer = encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }).text;
      return { viewer, handOver: () => agent.write(answer), close: () => viewer.close() };
    },
  };
}

function pageOffers(chromium: ChromiumHandle, agent: AgentProcess): Row {
  let next = 1;
  return {
    name: 'page offers → pi-agent answer',
    async prepare() {
      const viewer = await chromium.newPeer();
      const offerId = next++;
      const before = agent.events.length;
      agent.write(encodeBlob({ type: 'offer', sdp: await viewer.createOffer() }, { offerId, keepCodec: isAgentCodec }).text);
      const answer = await agent.next('answer', { after: before, where: (e) => e.viewer === offerId, timeoutMs: 30_000 });
      const sdp = decodeBlob(answer.text, { expect: 'answer' }).sdp;
      return { viewer, handOver: () => viewer.acceptAnswer(sdp), close: () => viewer.close() };
    },
  };
}

function webrtcbinOffers(chromium: ChromiumHandle): Row {
  return {
    name: 'webrtcbin offers → page answers (reference)',
    async prepare() {
      const sender = await WebrtcbinPeer.start('send');
      const viewer = await chromium.newPeer();
      const answer = await viewer.acceptOffer(await sender.offer());
      return {
        viewer,
        handOver: () => sender.acceptAnswer(answer),
        close: async () => {
          await viewer.close();
          await sender.close();
        },
      };
    },
  };
}

/** ms from the hand-over to the first frame, or null when none came within NO_FRAME_MS. */
async function measure(row: Row, holdMs: number): Promise<number | null> {
  const prepared = await row.prepare();
  try {
    await sleep(holdMs);
    const handedOver = Date.now();
    await prepared.handOver();
    for (;;) {
      const { firstFrameAt } = await prepared.viewer.videoStats();
      if (firstFrameAt !== null) return firstFrameAt - handedOver;
      if (Date.now() - handedOver > NO_FRAME_MS) return null;
      await sleep(10);
    }
  } finally {
    await prepared.close();
  }
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function cell(times: (number | null)[]): string {
  const got = times.filter((t): t is number => t !== null);
  const never = times.length - got.length;
  const m = median(got);
  const text = m === null ? 'never' : `${Math.round(m)} ms`;
  return never > 0 ? `${text} (${never}/${times.length} never)` : text;
}

if (!webrtcbinAvailable()) {
  console.error(`webrtcbin is not usable from /usr/bin/python3: apt-get install ${WEBRTCBIN_PACKAGES}`);
  process.exit(1);
}
console.log(`${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; holds ${HOLDS.join(', ')} s, ${RUNS} runs each`);
const chromium = await launchChromium();
const offerAgent = new AgentProcess(['offer', '--source', 'test', '--viewers', '32', '--stats-interval', '0']);
const answerAgent = new AgentProcess(['answer', '--source', 'test', '--viewers', '32', '--stats-interval', '0']);
try {
  await Promise.all([offerAgent, answerAgent].map((a) => a.next('pipeline', { where: (e) => e.state === 'started', timeoutMs: 30_000 })));
  const rows = [webrtcbinOffers(chromium), piOffers(chromium, offerAgent), pageOffers(chromium, answerAgent)];
  const results = new Map<number, (number | null)[][]>();
  for (const hold of HOLDS) {
    const times: (number | null)[][] = rows.map(() => []);
    for (let run = 0; run < RUNS; run++) {
      const got = await Promise.all(rows.map(async (row, k) => (await sleep(k * STAGGER_MS), measure(row, hold * 1000))));
      got.forEach((t, k) => times[k]!.push(t));
      console.log(`hold ${hold} s, run ${run + 1}: ${got.map((t, k) => `${rows[k]!.name.split(' ')[0]} ${t === null ? 'never' : Math.round(t)}`).join(' · ')}`);
    }
    results.set(hold, times);
  }

  console.log('\nfirst decoded frame after the hand-over, median (ratio to webrtcbin in the same run):');
  console.log(`| answer held | ${rows[1]!.name} | ${rows[2]!.name} | ${rows[0]!.name} |`);
  console.log('|---|---|---|---|');
  for (const [hold, [ref, a, b]] of results) {
    const r = median(ref!.filter((t): t is number => t !== null));
    const ratio = (times: (number | null)[]): string => {
      const m = median(times.filter((t): t is number => t !== null));
      return m === null || r === null || times.includes(null) ? '' : ` (${(m / r).toFixed(2)}×)`;
    };
    console.log(`| ${hold} s | ${cell(a!)}${ratio(a!)} | ${cell(b!)}${ratio(b!)} | ${cell(ref!)} |`);
  }
  console.log('\nall times (ms):');
  for (const [hold, times] of results) {
    console.log(`  ${hold} s: ${times.map((t, k) => `${rows[k]!.name.split(' ')[0]} [${t.map((x) => (x === null ? '-' : Math.round(x))).join(' ')}]`).join('  ')}`);
  }
  console.log('goal: each within 1.2× webrtcbin, at every hold');
} finally {
  await Promise.allSettled([offerAgent.stop(), answerAgent.stop()]);
  await chromium.close();
}
