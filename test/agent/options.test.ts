import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { decodeBlob, encodeBlob, isAgentCodec } from '../../src/signal/index.ts';
import { parseSdp } from '../../src/signal/sdp-parse.ts';
import { AgentProcess, agentRig, eventually } from '../harness/index.ts';

/* The agent's options and outputs, through the real process. */
const rig = agentRig();
const dir = mkdtempSync(join(tmpdir(), 'pigeon-agent-'));
const SOURCE = ['--source', 'test', '--stats-interval', '0'];

const startAgent = (args: string[]): AgentProcess => rig.startAgent(args);

function candidateAddresses(text: string): string[] {
  return parseSdp(decodeBlob(text).sdp).session.candidates.map((c) => c.address);
}

/** This machine's own IPv4 addresses other than loopback, as werift will find them. */
function hostAddresses(): string[] {
  return execFileSync('hostname', ['-I'], { encoding: 'utf8' }).trim().split(/\s+/).filter((a) => a.includes('.'));
}

test('--ip keeps only that host candidate; an address this machine lacks is refused with the ones it has', async () => {
  const [mine] = hostAddresses();
  assert.ok(mine, 'this machine has an IPv4 address');
  const agent = startAgent(['offer', ...SOURCE, '--ip', mine]);
  assert.deepEqual(candidateAddresses((await agent.next('offer')).text), [mine]);
  await agent.stop();

  const wrong = new AgentProcess(['offer', ...SOURCE, '--ip', '198.51.100.77']);
  assert.equal(await wrong.exited, 2);
  assert.match(wrong.stderr, /none of the addresses WebRTC found here \(.*\) is one of --ip\/--interface \(198\.51\.100\.77\)/);
  const noSuch = new AgentProcess(['offer', ...SOURCE, '--interface', 'nosuch0']);
  assert.equal(await noSuch.exited, 2);
  assert.match(noSuch.stderr, /no network interface "nosuch0" \(this machine has: .*lo/);
});

test('the agent listens on no TCP port while streaming (ICE over UDP only)', async () => {
  const agent = startAgent(['offer', ...SOURCE]);
  const offer = await agent.next('offer');
  const viewer = await rig.chromium().newPeer();
  const sdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
  agent.write(encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }).text);
  await agent.next('viewer-joined');
  const gst = agent.events.find((e) => e.type === 'pipeline' && e.state === 'started');
  const pids = [agent.pid, gst?.type === 'pipeline' ? gst.pid : -1];
  const listening = execFileSync('ss', ['-H', '-ltnp'], { encoding: 'utf8' });
  for (const pid of pids) assert.doesNotMatch(listening, new RegExp(`pid=${pid},`), `process ${pid} listens on TCP`);
  assert.match(execFileSync('ss', ['-H', '-lunp'], { encoding: 'utf8' }), new RegExp(`pid=${agent.pid},`), 'it does use UDP');
  await viewer.close();
  await agent.stop();
});

/** The agent with every DNS lookup it makes written to a file; returns it and the names asked. */
function agentRecordingDns(args: string[]): { agent: AgentProcess; names: () => string[] } {
  const log = join(dir, `dns-${Date.now()}.txt`);
  writeFileSync(log, '');
  const preload = fileURLToPath(new URL('../harness/record-dns.mjs', import.meta.url));
  const env = { ...process.env, PIGEON_DNS_LOG: log, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim() };
  const agent = new AgentProcess(args, env);
  return { agent, names: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

test('no STUN server is contacted unless asked for: no DNS lookup at all while offering, connecting and streaming', async () => {
  const { agent, names } = agentRecordingDns(['offer', ...SOURCE]);
  try {
    const offer = await agent.next('offer');
    const viewer = await rig.chromium().newPeer();
    const sdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
    agent.write(encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }).text);
    await agent.next('viewer-joined');
    await agent.next('offer', { where: (e) => e.offerId !== offer.offerId });
    assert.deepEqual(names(), [], 'werift falls back to a public STUN server unless told not to');
    assert.deepEqual(parseSdp(decodeBlob(offer.text).sdp).session.candidates.map((c) => c.type), ['host'], 'host candidates only');
    await viewer.close();
  } finally {
    await agent.stop();
  }
});

test('pi-agent answer makes no DNS lookup either', async () => {
  const { agent, names } = agentRecordingDns(['answer', ...SOURCE]);
  try {
    await agent.next('pipeline', { where: (e) => e.state === 'started' });
    const viewer = await rig.chromium().newPeer();
    agent.write(encodeBlob({ type: 'offer', sdp: await viewer.createOffer() }, { keepCodec: isAgentCodec, offerId: 5 }).text);
    const answer = await agent.next('answer');
    await viewer.acceptAnswer(decodeBlob(answer.text, { expect: 'answer' }).sdp);
    await agent.next('viewer-joined');
    assert.deepEqual(names(), []);
    assert.deepEqual(parseSdp(decodeBlob(answer.text).sdp).session.candidates.map((c) => c.type), ['host']);
    await viewer.close();
  } finally {
    await agent.stop();
  }
});

test('--ice-server names the STUN server the agent may use, and only that one', async () => {
  // .invalid never resolves (RFC 6761): the lookup is seen, nothing is reached.
  const { agent, names } = agentRecordingDns(['offer', ...SOURCE, '--ice-server', 'stun:stun.invalid:3478']);
  try {
    await agent.next('offer');
    assert.deepEqual([...new Set(names())], ['stun.invalid']);
  } finally {
    await agent.stop();
  }
});

test('--qr-png writes the current offer as a PNG that scans back to the blob', async () => {
  const png = join(dir, 'offer.png');
  const agent = startAgent(['offer', ...SOURCE, '--qr-png', png]);
  const offer = await agent.next('offer');
  // Written just after the offer is shown: read it once it scans (10 s at most).
  const scanned = (): ReturnType<typeof jsQR> => {
    try {
      const image = PNG.sync.read(readFileSync(png));
      return jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    } catch {
      return null;
    }
  };
  const found = await eventually(scanned, (qr) => qr !== null, 10_000);
  assert.ok(found, 'jsqr read the PNG');
  assert.deepEqual(Uint8Array.from(found.binaryData), decodeBlob(offer.text).frame);
  await agent.stop();
});

test('pi-agent answer --offer-file takes the browser offer from a file', async () => {
  const file = join(dir, 'browser-offer.txt');
  const viewer = await rig.chromium().newPeer();
  writeFileSync(file, `${encodeBlob({ type: 'offer', sdp: await viewer.createOffer() }, { keepCodec: isAgentCodec }).text}\n`);
  const agent = startAgent(['answer', ...SOURCE, '--offer-file', file]);
  const answer = await agent.next('answer');
  await viewer.acceptAnswer(decodeBlob(answer.text, { expect: 'answer' }).sdp);
  await agent.next('viewer-joined');
  await viewer.close();
  await agent.stop();
});

test('without --json a person sees the QR and blob on stdout and plain status lines on stderr', async () => {
  const bin = fileURLToPath(new URL('../../pi-agent/bin/pi-agent.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'offer', ...SOURCE], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const until = Date.now() + 15_000;
  // H.264 and VP8 both: 68 bytes, still QR version 5.
  while (!/offer #\d+: 68 bytes, QR version 5/.test(err) && Date.now() < until) await sleep(50);
  child.stdin.write('not a blob\n');
  while (!/refused \(E_NOT_PIGEON\)/.test(err) && Date.now() < until) await sleep(50);
  child.kill('SIGINT');
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  assert.match(out, /█▀▀▀▀▀█|█ ▄▄▄▄▄ █/, 'a QR code in half blocks');
  assert.match(out, /^pigeon:[A-Za-z0-9_-]{91}$/m);
  assert.doesNotMatch(out, /\{"type"/);
  assert.match(err, /pi-agent: pipeline running/);
  assert.match(err, /Scan it with the Pigeon page, then paste the page's answer here/);
  assert.match(err, /refused \(E_NOT_PIGEON\)/);
  assert.match(err, /pi-agent: stopped \(SIGINT\)/);
});

test('pi-agent offer --answer-file picks up an answer written to that file (headless use, e.g. over SSH)', async () => {
  const file = join(dir, 'answer.txt');
  writeFileSync(file, '');
  const agent = startAgent(['offer', ...SOURCE, '--answer-file', file]);
  const offer = await agent.next('offer');
  const viewer = await rig.chromium().newPeer();
  const sdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
  writeFileSync(file, `${encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }).text}\n`);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  await viewer.close();
  await agent.stop();
});

test('when GStreamer can no longer be started at all, the agent says so and exits 1', async () => {
  // A PATH holding only fake GStreamer tools (and what their scripts run), so removing the fake
  // gst-launch-1.0 leaves none to find.
  const bin = mkdtempSync(join(tmpdir(), 'pigeon-fake-gst-'));
  for (const tool of ['gst-launch-1.0', 'gst-inspect-1.0']) {
    copyFileSync(fileURLToPath(new URL(`../fixtures/fake-gst/${tool}`, import.meta.url)), join(bin, tool));
  }
  for (const tool of ['bash', 'sleep']) symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  const agent = new AgentProcess(['offer', ...SOURCE], { ...process.env, PATH: bin });
  const started = await agent.next('pipeline', { where: (e) => e.state === 'started' });
  rmSync(join(bin, 'gst-launch-1.0'));
  process.kill(started.pid!, 'SIGKILL');
  assert.equal(await agent.exited, 1);
  assert.match(agent.stderr, /E_GST_NOT_INSTALLED: gst-launch-1.0 was not found/);
});
