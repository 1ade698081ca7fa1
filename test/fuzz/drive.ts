import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_TEXT_CHARS, decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { AgentProcess, controlGap, launchChromium, MAX_GAP_MS, runCli } from '../harness/index.ts';
import { badLines, badSdps } from './inputs.ts';

/*
 * The fuzz rig, for the suite (a few thousand inputs) and `npm run fuzz` (100 000 and more):
 * bad lines on a real agent's stdin while headless Chromium watches its video, and bad stdin
 * for `pi-agent blob` run in-process.
 */
export interface AgentFuzzResult {
  lines: number;
  /** Events the agent said: one per line that was not blank. */
  said: number;
  codes: Record<string, number>;
  longestGapMs: number;
  /** Taken only when longestGapMs was over the limit: the same viewer with no input (harness/stall.ts). */
  controlGapMs?: number;
  ms: number;
}

const KNOWN = /^E_(NOT_PIGEON|NEWER_VERSION|CHECKSUM|TRUNCATED|EXPECTED_ANSWER|MALFORMED|TOO_LARGE|SDP_INVALID|SDP_NO_ICE|SDP_NO_FINGERPRINT|SDP_UNSUPPORTED|OFFER_UNKNOWN|OFFER_USED|OFFER_EXPIRED|NO_OFFER_ID)$/;

/** Whether the agent reads this line as blank (it says nothing for those). */
function blank(line: Buffer): boolean {
  if (line.length > MAX_TEXT_CHARS) return false;
  const text = line.toString('utf8');
  return (text.endsWith('\r') ? text.slice(0, -1) : text).trim() === '';
}

const BASE = ['offer', '--source', 'test', '--width', '320', '--height', '240', '--fps', '30', '--bitrate', '500', '--stats-interval', '0'];

/**
 * `count` bad lines, written 500 to a write, to an agent a Chromium viewer is watching. Every
 * line that is not blank must get exactly one event (refused with a known code, or cut-short),
 * and the offer showing must still take a real answer at the end. The longest gap between the
 * viewer's frames is returned (with a control, when over the limit) for the caller to judge.
 */
export async function fuzzAgentStdin(count: number, seed: number): Promise<AgentFuzzResult> {
  const chromium = await launchChromium();
  const agent = new AgentProcess(BASE);
  try {
    const first = await agent.next('offer', { timeoutMs: 60_000 });
    const viewer = await chromium.newPeer();
    agent.write(encodeBlob({ type: 'answer', sdp: await viewer.acceptOffer(decodeBlob(first.text).sdp) }, { offerId: first.offerId }).text);
    await agent.next('viewer-joined');
    const live = await agent.next('offer', { where: (e) => e.offerId !== first.offerId });
    // Made while the video starts, so making them takes no CPU from the run being measured.
    const lines = badLines(count, seed, (live.offerId + 1) & 0xffff);
    const expected = lines.filter((line) => !blank(line)).length;
    for (let until = Date.now() + 10_000; (await viewer.videoStats()).frames < 30; await sleep(20)) {
      if (Date.now() > until) throw new Error('no video before fuzzing');
    }

    const seen = agent.events.length;
    let counted = seen;
    let said = 0;
    const saidSoFar = (): number => {
      for (; counted < agent.events.length; counted++) {
        const type = agent.events[counted]!.type;
        if (type === 'refused' || type === 'cut-short') said++;
      }
      return said;
    };
    const started = Date.now();
    let longestGapMs = 0;
    let sampledAt = started;
    const sample = async (): Promise<void> => {
      // The page keeps ~30 s of frame times; each sample covers the time since the last one.
      longestGapMs = Math.max(longestGapMs, (await viewer.videoStats(Date.now() - sampledAt + 100)).longestGapMs);
      sampledAt = Date.now();
    };
    const answeredUpTo = async (wanted: number): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (saidSoFar() < wanted) {
        if (Date.now() > deadline) throw new Error(`${saidSoFar()} events of ${wanted} within 30 s; stderr: ${agent.stderr.slice(0, 2000)}`);
        await sleep(10);
        if (Date.now() - sampledAt > 2000) await sample();
      }
    };
    // 500 lines to a write, each batch answered before the next, as a script piping a file would
    // be held back by the pipe (a batch's cut-short line is answered at once, so counts are exact).
    let wanted = 0;
    for (let i = 0; i < lines.length; i += 500) {
      const batch = lines.slice(i, i + 500);
      await agent.writeRaw(Buffer.concat(batch.flatMap((line) => [line, Buffer.from('\n')])));
      wanted += batch.filter((line) => !blank(line)).length;
      await answeredUpTo(wanted);
    }
    // A sentinel that is refused last: nothing may come after the count is reached.
    agent.write('sentinel-line-of-the-fuzz-run!');
    await answeredUpTo(expected + 1);
    await sample();
    const ms = Date.now() - started;
    const events = agent.events.slice(seen).filter((e) => e.type === 'refused' || e.type === 'cut-short');
    assert.equal(events.length, expected + 1, 'one event for each line that was not blank');
    const last = events.at(-1);
    // A last bad line that reads as a code cut short waits for the next line (paste.ts joins a code
    // pasted over several lines): the sentinel is then read with it, and refused as the two together.
    if (events.at(-2)?.type === 'cut-short') {
      assert.ok(last?.type === 'refused' && KNOWN.test(last.code), `the sentinel, joined to the line cut short before it, is answered last: ${JSON.stringify(last)}`);
    } else {
      assert.equal(last?.type === 'refused' && last.code, 'E_NOT_PIGEON', 'the sentinel is answered last');
    }
    const codes: Record<string, number> = {};
    for (const event of events.slice(0, -1)) {
      const code = event.type === 'refused' ? event.code : event.type;
      assert.ok(code === 'cut-short' || KNOWN.test(code), `unexpected refusal ${JSON.stringify(event)}`);
      codes[code] = (codes[code] ?? 0) + 1;
    }
    assert.equal(agent.stderr, '', 'with --json nothing goes to stderr');
    // Judged by the caller (harness/stall.ts), so a long run still reports all it measured.
    const controlGapMs = longestGapMs >= MAX_GAP_MS ? await controlGap(viewer, ms) : undefined;

    // The offer showing all along still takes a real answer.
    const second = await chromium.newPeer();
    agent.write(encodeBlob({ type: 'answer', sdp: await second.acceptOffer(decodeBlob(live.text).sdp) }, { offerId: live.offerId }).text);
    await agent.next('viewer-joined', { where: (e) => e.viewer === live.offerId });
    return { lines: lines.length, said: events.length - 1, codes, longestGapMs: Math.round(longestGapMs), ...(controlGapMs === undefined ? {} : { controlGapMs: Math.round(controlGapMs) }), ms };
  } finally {
    await agent.stop();
    await chromium.close();
  }
}

export interface CliFuzzResult {
  runs: number;
  exits: Record<string, number>;
  ms: number;
}

/**
 * `count` runs of `pi-agent blob decode|qr|encode` in-process on bad stdin: exit 0 with output,
 * or exit 1 with exactly one line naming a code on stderr and nothing on stdout. Never a stack.
 */
export async function fuzzCli(count: number, seed: number): Promise<CliFuzzResult> {
  const encodes = Math.floor(count / 10);
  const lines = badLines(count - encodes, seed, 4242);
  const sdps = badSdps(encodes, seed + 1);
  const exits: Record<string, number> = {};
  const started = Date.now();
  const inputs: [string[], Buffer | string][] = [
    ...lines.map((line, i): [string[], Buffer] => [['blob', i % 8 === 0 ? 'qr' : 'decode', ...(i % 3 === 0 ? ['--expect', 'answer'] : [])], line]),
    ...sdps.map((sdp): [string[], string] => [['blob', 'encode'], sdp]),
  ];
  for (const [argv, input] of inputs) {
    const { code, stdout: out, stderr: err } = await runCli(argv, input);
    const describe = (): string => `${argv.join(' ')} on ${JSON.stringify(String(input).slice(0, 300))}: exit ${code}, stderr ${err}`;
    if (code === 0) {
      assert.ok(out.length > 0, describe());
    } else {
      assert.equal(code, 1, describe());
      assert.equal(out, '', describe());
      assert.match(err, /^pi-agent: E_[A-Z_]+: [^\n]+\n$/, describe());
    }
    exits[code] = (exits[code] ?? 0) + 1;
  }
  return { runs: inputs.length, exits, ms: Date.now() - started };
}
