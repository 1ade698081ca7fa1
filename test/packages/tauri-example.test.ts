import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { webkitMissing } from '../bridge/page-driver.ts';
import { AgentProcess, BridgeProcess, eventually, launchChromium, type ChromiumHandle } from '../harness/index.ts';
import { npmInstall, npmPack, type Packed } from '../harness/packed.ts';
import { serveFolder } from '../harness/static-server.ts';
import { probedWebKitPage } from '../harness/webkit-probe.ts';

/*
 * Pigeon as someone else's app gets it: the packed viewer (pigeon-viewer), agent (pi-agent) and
 * bridge (pigeon-bridge) — npm pack, each built at prepack — installed into a fresh copy of
 * examples/tauri's web side in a temporary folder, which then type-checks against the package's
 * .d.ts (tsc --noEmit) and builds with Vite. Its page, served on loopback as Tauri's own origin
 * serves it, plays the packed agent's video in Chromium (WebView2's engine) natively, the bridge's
 * URL given all the same, and in WebKitGTK (Tauri's Linux webview, no RTCPeerConnection) through
 * the packed bridge, its command started from node_modules/.bin as a sidecar would be.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const execP = promisify(execFile);
/** Runs a command in the app; a failure says what it printed (tsc reports on stdout). */
async function exec(command: string, args: string[], cwd: string): Promise<void> {
  try {
    await execP(command, args, { cwd, maxBuffer: 16 << 20 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}${stderr}`, { cause: error });
  }
}
const AGENT_ARGS = ['offer', '--source', 'test', '--width', '640', '--height', '480', '--fps', '30', '--stats-interval', '1'];

/** What the probe reads off the example's page: the viewer's public properties and the page's own fields. */
interface Seen {
  webrtc: boolean;
  status: string;
  answer: string;
  /** The viewer's `video.kind`: `stream` (native WebRTC) or `frames` (the bridge). */
  feed: string;
  /** Frames the <video> presented (requestVideoFrameCallback), for native WebRTC. */
  presented: number;
  /** The viewer's stats.framesDecoded (the bridge's decoder, for a canvas). */
  decoded: number;
  error: string;
}

const PROBE = `(() => {
  const v = document.querySelector('pigeon-viewer');
  if (!v || !v.shadowRoot || !document.querySelector('#answer-text')) return JSON.stringify({ pending: 'no page yet' });
  const video = v.shadowRoot.querySelector('video');
  if (video && !video.__counted && video.requestVideoFrameCallback) {
    video.__counted = true;
    const tick = () => { window.__presented = (window.__presented || 0) + 1; video.requestVideoFrameCallback(tick); };
    video.requestVideoFrameCallback(tick);
  }
  return JSON.stringify({
    webrtc: typeof RTCPeerConnection === 'function',
    status: v.status,
    answer: document.querySelector('#answer-text').value,
    feed: v.video ? v.video.kind : '',
    presented: window.__presented || 0,
    decoded: (v.stats && v.stats.framesDecoded) || 0,
    error: document.querySelector('#error').textContent,
  });
})()`;

/** Types the offer into the page's box and presses Watch, as a person pasting it would. */
const giveOffer = (text: string): string =>
  `(() => { document.querySelector('#offer').value = ${JSON.stringify(text)}; document.querySelector('#watch').click(); })()`;

const testStarted = Date.now();
let work: string;
let app: string;
let packs: Packed[] = [];
let site: { url: string; close: () => Promise<void> } | undefined;

before(async () => {
  const started = Date.now();
  work = await mkdtemp(join(tmpdir(), 'pigeon-packed-app-'));
  await mkdir(join(work, 'packs'));
  packs = await Promise.all(['packages/viewer', 'pi-agent', 'bridge'].map((dir) => npmPack(join(ROOT, dir), join(work, 'packs'))));
  const packedAt = Date.now();
  app = join(work, 'app');
  await cp(join(ROOT, 'examples', 'tauri'), app, { recursive: true, filter: (path) => !/[/\\](node_modules|dist|target)$/.test(path) });
  // The tarballs stand in for the registry: the viewer replaces the example's pigeon-viewer@^0.1.0.
  await npmInstall(app, packs.map((p) => p.file));
  const installedAt = Date.now();
  // One tsc run over the app's code and a wrong use of the element beside it: the only error is
  // that one, so the app type-checks and the types are the package's, not `any`.
  const wrong = join(app, 'src', 'wrong.ts');
  await writeFile(wrong, "document.querySelector('pigeon-viewer')!.offer = 42;\n");
  const checked = await exec('npx', ['--no-install', 'tsc', '--noEmit', '-p', '.'], app).then(
    () => '',
    (error: Error) => error.message,
  );
  const errors = checked.split('\n').filter((line) => /error TS\d+/.test(line));
  assert.equal(errors.length, 1, `tsc in the app: ${checked || 'no error at all'}`);
  assert.match(errors[0]!, /^src\/wrong\.ts\(1,\d+\): error TS2322/);
  await rm(wrong);
  const checkedAt = Date.now();
  await exec('npx', ['--no-install', 'vite', 'build', '--logLevel', 'warn'], app);
  site = await serveFolder(join(app, 'dist'));
  const sizes = packs.map((p) => `${p.name} ${(p.size / 1024).toFixed(0)} KiB packed, ${(p.unpackedSize / 1024).toFixed(0)} KiB unpacked`).join('; ');
  console.log(`packed app: npm pack ${packedAt - started} ms, npm install ${installedAt - packedAt} ms, tsc ${checkedAt - installedAt} ms, vite build ${Date.now() - checkedAt} ms; ${sizes}`);
});

after(async () => {
  console.log(`packed app test: ${Date.now() - testStarted} ms in all`);
  await site?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The packed agent and bridge, from the app's node_modules, stopped when test `t` ends. */
function startPacked(t: TestContext): { agent: AgentProcess; bridge: BridgeProcess } {
  const agent = new AgentProcess(AGENT_ARGS, process.env, [], join(app, 'node_modules', 'pi-agent', 'bin', 'pi-agent.js'));
  const bridge = new BridgeProcess([], join(app, 'node_modules', '.bin', 'pigeon-bridge'));
  t.after(() => Promise.allSettled([agent.stop(), bridge.stop()]));
  return { agent, bridge };
}

/** Gives the offer, carries the page's answer to the agent, and waits for `playing` to hold. */
async function watch(read: () => Promise<Seen | undefined>, run: (script: string) => Promise<void>, agent: AgentProcess, playing: (s: Seen) => boolean, engine: string): Promise<Seen> {
  const started = Date.now();
  const offer = await agent.next('offer');
  await eventually(read, (s) => s !== undefined, 30_000, 200);
  await run(giveOffer(offer.text));
  const answered = await eventually(read, (s) => s?.answer.startsWith('pigeon:') === true, 30_000, 200);
  assert.ok(answered && answered.answer.startsWith('pigeon:'), `${engine}: no answer shown; the page shows ${JSON.stringify(answered)}`);
  agent.write(answered.answer);
  await agent.next('viewer-joined');
  const last = await eventually(read, (s) => s !== undefined && playing(s), 60_000, 250);
  assert.ok(last && playing(last), `${engine}: the video did not play; the page shows ${JSON.stringify(last)}`);
  console.log(`${engine}: offer given to ${last.feed} video playing in ${Date.now() - started} ms (${last.presented} presented, ${last.decoded} decoded)`);
  return last;
}

test('the packed viewer carries types, a custom-elements manifest and a README naming all it declares', async () => {
  const dir = join(app, 'node_modules', 'pigeon-viewer');
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { types: string; customElements: string; exports: Record<string, unknown> };
  await readFile(join(dir, pkg.types));
  const readme = await readFile(join(dir, 'README.md'), 'utf8');
  const manifest = JSON.parse(await readFile(join(dir, pkg.customElements), 'utf8')) as {
    modules: { declarations: { tagName?: string; attributes?: { name: string }[]; events?: { name: string }[]; cssParts?: { name: string }[]; members?: { name: string; privacy?: string; static?: boolean }[] }[] }[];
  };
  const elements = manifest.modules.flatMap((m) => m.declarations).filter((d) => d.tagName);
  assert.deepEqual(elements.map((d) => d.tagName).sort(), ['pigeon-viewer', 'qr-scan', 'qr-view']);
  for (const element of elements) {
    assert.match(readme, new RegExp(`## \`<${element.tagName}>\``), `README has a section for <${element.tagName}>`);
    const names = [
      ...(element.attributes ?? []).map((a) => a.name),
      ...(element.events ?? []).map((e) => e.name),
      ...(element.cssParts ?? []).map((p) => p.name),
      ...(element.members ?? []).filter((m) => !m.privacy && !m.static).map((m) => m.name),
    ];
    assert.ok(names.length > 0);
    for (const name of names) assert.ok(readme.includes(`\`${name}\``) || readme.includes(`\`${name}(`), `README names ${element.tagName}'s ${name}`);
  }
});

test('Chromium (WebView2’s engine): the example app plays the packed agent natively, though handed the packed bridge too', { timeout: 180_000 }, async (t) => {
  const { agent, bridge } = startPacked(t);
  const chromium: ChromiumHandle = await launchChromium();
  t.after(() => chromium.close());
  const page = await chromium.newPage();
  await page.goto(`${site!.url}?bridge=${encodeURIComponent(await bridge.url)}`);
  await page.bringToFront();
  const read = async (): Promise<Seen | undefined> => {
    const value = JSON.parse(String(await page.evaluate(PROBE))) as Seen | { pending: string };
    return 'pending' in value ? undefined : value;
  };
  const seen = await watch(read, async (script) => void (await page.evaluate(script)), agent, (s) => s.feed === 'stream' && s.presented >= 30, 'Chromium');
  assert.equal(seen.webrtc, true);
  assert.equal(seen.feed, 'stream', 'native WebRTC: a MediaStream, not the bridge’s frames');
  assert.equal(bridge.events.filter((e) => e.type === 'answer').length, 0, 'the bridge answered nothing');
});

const missing = webkitMissing();
test('WebKitGTK (Tauri’s Linux webview): the example app plays the packed agent through the packed bridge', { skip: missing, timeout: 180_000 }, async (t) => {
  const { agent, bridge } = startPacked(t);
  const page = probedWebKitPage<Seen>(`${site!.url}?bridge=${encodeURIComponent(await bridge.url)}`, PROBE);
  t.after(() => page.close());
  let decodedBefore = 0;
  const seen = await watch(
    async () => page.latest(),
    async (script) => page.run(script),
    agent,
    (s) => s.feed === 'frames' && s.decoded > 0 && (decodedBefore === 0 ? ((decodedBefore = s.decoded), false) : s.decoded >= decodedBefore + 30),
    'WebKitGTK',
  );
  assert.equal(seen.webrtc, false, 'this WebKitGTK has no RTCPeerConnection: the bridge is the only way');
  await bridge.next('answer');
});
