import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, test } from 'node:test';
import { MAX_REQUEST_CHARS } from '../../src/bridge-wire/protocol.ts';
import { BRIDGE_BIN, BridgeProcess, eventually, WsPage } from '../harness/index.ts';

/*
 * Who the real bridge lets in, and what it does with nonsense: wrong secrets, other machines,
 * other web origins and garbage are refused with a reason, and nothing else is affected.
 */
let bridge: BridgeProcess;
let url: string;
const extra: BridgeProcess[] = [];

before(async () => {
  bridge = new BridgeProcess();
  url = await bridge.url;
});
after(async () => {
  await Promise.allSettled([bridge.stop(), ...extra.map((b) => b.stop())]);
});

/** The bridge still works: a new page gets its hello. */
async function stillServes(): Promise<void> {
  const page = await WsPage.open(url);
  assert.match((await page.next('hello')).bridge, /^\d+\.\d+\.\d+/);
  page.close();
}

test('a wrong, missing or partial secret is refused with 404 E_WRONG_SECRET', async () => {
  const { origin, pathname } = new URL(url);
  const base = origin.replace('http', 'ws');
  for (const path of ['/', '/nope', pathname.slice(0, -1), `${pathname}x`, `${pathname}/`]) {
    const events = bridge.events.length;
    await assert.rejects(WsPage.open(`${base}${path}`), /refused: 404 E_WRONG_SECRET/, path);
    await bridge.next('page-refused', { after: events, where: (e) => e.code === 'E_WRONG_SECRET' });
  }
  await stillServes();
});

test('a page from another origin is refused with 403 E_ORIGIN; pages from disk, Tauri and localhost are let in', async () => {
  for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'http://127.0.0.1.nip.io:8080', 'tauri://localhost.evil']) {
    await assert.rejects(WsPage.open(url, { origin }), /refused: 403 E_ORIGIN/, origin);
  }
  for (const origin of ['null', 'file://', 'tauri://localhost', 'http://tauri.localhost', 'http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:4173']) {
    const page = await WsPage.open(url, { origin });
    await page.next('hello');
    page.close();
  }
});

test('--allow-origin lets that origin in, and only it', async () => {
  const allowing = new BridgeProcess(['--allow-origin', 'https://app.example:8443']);
  extra.push(allowing);
  const allowingUrl = await allowing.url;
  const page = await WsPage.open(allowingUrl, { origin: 'https://app.example:8443' });
  await page.next('hello');
  page.close();
  await assert.rejects(WsPage.open(allowingUrl, { origin: 'https://app.example' }), /refused: 403 E_ORIGIN/);
});

const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
test('a connection from a non-loopback address is refused with 403 E_NOT_LOOPBACK', { skip: outside ? false : 'this machine has no non-loopback IPv4 address to connect from' }, async () => {
  const events = bridge.events.length;
  await assert.rejects(WsPage.open(url, { localAddress: outside }), /refused: 403 E_NOT_LOOPBACK/);
  const refused = await bridge.next('page-refused', { after: events, where: (e) => e.code === 'E_NOT_LOOPBACK' });
  assert.equal(refused.address, outside);
  await stillServes();
});

test('garbage from a page gets an error naming it, the connection stays open, and other pages are unaffected', async () => {
  const page = await WsPage.open(url);
  await page.next('hello');
  const cases: [string | Buffer, string][] = [
    ['not json', 'E_BRIDGE_NOT_JSON'],
    [Buffer.from([0, 1, 2, 255]), 'E_BRIDGE_BINARY'],
    ['[1,2]', 'E_BRIDGE_MALFORMED'],
    ['{"type":"accept"}', 'E_BRIDGE_MALFORMED'],
    ['{"v":1,"type":"accept","offer":42}', 'E_BRIDGE_MALFORMED'],
    ['{"v":1,"type":"launch-missiles"}', 'E_BRIDGE_MALFORMED'],
    ['{"v":9,"type":"keyframe"}', 'E_BRIDGE_VERSION'],
    [JSON.stringify({ v: 1, type: 'send', text: 'x'.repeat(MAX_REQUEST_CHARS) }), 'E_BRIDGE_TOO_LARGE'],
    ['{"v":1,"type":"accept","offer":"pigeon:AAAA"}', 'E_NOT_PIGEON'],
    ['{"v":1,"type":"accept","offer":"hello there"}', 'E_NOT_PIGEON'],
    ['{"v":1,"type":"keyframe"}', 'E_NO_VIEWER'],
    ['{"v":1,"type":"answer","sdp":"v=0"}', 'E_NO_VIEWER'],
    ['{"v":1,"type":"attach","viewer":7,"token":"guess"}', 'E_VIEWER_UNKNOWN'],
  ];
  for (const [data, code] of cases) {
    const seen = page.messages.length;
    page.sendRaw(data);
    const error = await page.next('error', { after: seen });
    assert.equal(error.code, code, `${String(data).slice(0, 60)} → ${error.message}`);
    assert.ok(error.message.length > 10, `a message a person can act on: ${error.message}`);
  }
  // Past the WebSocket's own cap (4× the request cap): ws closes with 1009 "message too big".
  page.sendRaw('x'.repeat(MAX_REQUEST_CHARS * 4 + 1));
  assert.equal((await page.closed).code, 1009);
  await stillServes();
});

test("the bridge's offer: a browser's kind, with the page's codecs; an answer that is not an SDP is refused before libdatachannel sees it; the offering page has its viewer", async () => {
  const page = await WsPage.open(url);
  await page.next('hello');
  page.send({ v: 1, type: 'offer', codecs: ['VP8'] });
  const offer = await page.next('offer');
  assert.match(offer.sdp, /^v=0/);
  // Not a browser's actpass: the engine's offers say active, as the agent's own do (EnginePeer.offer),
  // so the answering agent is the DTLS server and waits for our hello however long the answer took
  // to carry; the agent answers passive to that, as it does to the agent-on-the-engine's offers.
  assert.match(offer.sdp, /a=setup:active/, 'the bridge is the DTLS client of its own offer');
  assert.match(offer.sdp, /m=application .*webrtc-datachannel/, 'the pigeon channel, opened by this side');
  assert.match(offer.sdp, /a=recvonly/);
  assert.match(offer.sdp, /VP8\/90000/);
  assert.doesNotMatch(offer.sdp, /H264/, 'only the codecs the page decodes');
  assert.equal((await page.next('status', { where: (s) => s.viewer === offer.viewer })).state, 'waiting');
  const cases: [string, string][] = [
    ['{"v":1,"type":"offer"}', 'E_HAS_VIEWER'],
    ['{"v":1,"type":"accept","offer":"pigeon:AAAA"}', 'E_HAS_VIEWER'],
    ['{"v":1,"type":"send","text":"{}"}', 'E_NOT_CONNECTED'],
    ['{"v":1,"type":"answer","sdp":"not an SDP"}', 'E_ANSWER_REFUSED'],
  ];
  for (const [data, code] of cases) {
    const seen = page.messages.length;
    page.sendRaw(data);
    assert.equal((await page.next('error', { after: seen })).code, code, data);
  }
  // Refused by the bridge's own SDP reader, before the engine is given it: the offer still waits for a real answer.
  assert.ok(!page.messages.some((m) => m.type === 'status' && m.state !== 'waiting'), 'the viewer still waits for an answer');
  page.send({ v: 1, type: 'close', reason: 'done' });
  assert.equal((await page.next('status', { where: (s) => s.state === 'closed' })).code, 'E_PAGE_CLOSED');
  page.close();
});

test('bytes that are not WebSocket frames close that connection only; plain HTTP is told what this is', async () => {
  const { host, pathname } = new URL(url);
  const [hostname, port] = host.split(':');
  const socket = connect(Number(port), hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await new Promise((resolve) => socket.once('data', resolve));
  socket.write(Buffer.alloc(64, 0xff));
  await new Promise((resolve) => socket.once('close', resolve));
  const status = await new Promise<number>((resolve, reject) => request(url.replace('ws:', 'http:'), (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject).end());
  assert.equal(status, 426);
  await stillServes();
});

test('the bridge exits when its parent dies (kill -9), and on SIGTERM with a stopped event', async () => {
  // A parent that starts the bridge the way a Tauri shell does (stdio piped), then is killed.
  const parent = spawn(process.execPath, ['-e', `const c = require('child_process').spawn(process.execPath, [${JSON.stringify(BRIDGE_BIN)}], { stdio: 'pipe' }); console.log(c.pid); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bridgePid = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await eventually(() => alive(bridgePid), (up) => up, 5000);
  parent.kill('SIGKILL');
  const stillUp = await eventually(() => alive(bridgePid), (up) => !up, 15_000);
  assert.equal(stillUp, false, 'the bridge outlived its parent');

  const stopping = new BridgeProcess();
  await stopping.url;
  assert.equal(await stopping.stop(), 0);
  assert.match((await stopping.next('stopped')).reason, /SIGTERM/);
});
