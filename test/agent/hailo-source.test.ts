/**
 * `pi-agent offer --source hailo` on a machine without a Hailo: fake gst-launch-1.0,
 * gst-inspect-1.0 and hailortcli (test/fixtures/fake-gst) stand in for the AI HAT+, and the argv
 * the agent gives gst-launch is checked: the network hailo-models ships for the device
 * hailortcli names, the letterbox, the export element on a socket of the agent's own, the
 * overlay as asked, and the post-process options as hailo-apps passes them.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AgentProcess, eventually } from '../harness/index.ts';

const FAKES = ['gst-launch-1.0', 'gst-inspect-1.0', 'hailortcli'];

interface Run {
  argv: string[];
  agent: AgentProcess;
}

function fakeBin(t: TestContext): string {
  const bin = mkdtempSync(join(tmpdir(), 'pigeon-fake-hailo-'));
  for (const tool of FAKES) copyFileSync(fileURLToPath(new URL(`../fixtures/fake-gst/${tool}`, import.meta.url)), join(bin, tool));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  return bin;
}

/** Starts the agent on the fakes and returns gst-launch's argv once the pipeline plays. */
async function hailoRun(t: TestContext, args: string[], arch: string | undefined): Promise<Run> {
  const bin = fakeBin(t);
  const argvFile = join(bin, 'argv');
  const { FAKE_GST_MISSING: _missing, FAKE_HAILO_ARCH: _arch, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, PATH: `${bin}:${process.env.PATH ?? ''}`, FAKE_GST_ARGV: argvFile, ...(arch ? { FAKE_HAILO_ARCH: arch } : {}) };
  const agent = new AgentProcess(['offer', '--source', 'hailo', '--single-codec', '--stats-interval', '0', ...args], env);
  t.after(() => agent.kill());
  await agent.next('pipeline', { where: (e) => e.state === 'started', timeoutMs: 30_000 });
  const written = await eventually(() => existsSync(argvFile) && readFileSync(argvFile, 'utf8').includes('rtpbin'), (ok) => ok, 10_000);
  assert.ok(written, 'the fake gst-launch recorded its argv');
  return { argv: readFileSync(argvFile, 'utf8').trimEnd().split('\n'), agent };
}

/** The value of `key` on the first `element` in argv. */
function prop(argv: readonly string[], element: string, key: string): string | undefined {
  const at = argv.indexOf(element);
  assert.ok(at >= 0, `${element} is in the pipeline: ${argv.join(' ')}`);
  for (let i = at + 1; i < argv.length && argv[i] !== '!' && argv[i]!.includes('='); i++) {
    const [k, ...v] = argv[i]!.split('=');
    if (k === key) return v.join('=');
  }
  return undefined;
}

for (const [arch, hef] of [
  ['HAILO8', '/usr/share/hailo-models/yolov8s_h8.hef'],
  ['HAILO8L', '/usr/share/hailo-models/yolov8s_h8l.hef'],
] as const) {
  test(`${arch}: hailo-models' network for that device, letterboxed, boxes exported to the agent and not burnt in`, async (t) => {
    const { argv } = await hailoRun(t, [], arch);
    assert.equal(prop(argv, 'hailonet', 'hef-path'), hef);
    assert.equal(prop(argv, 'hailocropper', 'use-letterbox'), 'true');
    assert.ok(argv.includes('video/x-raw,pixel-aspect-ratio=1/1,width=640,height=640'), 'YOLOv8 input size by default');
    assert.equal(prop(argv, 'hailofilter', 'function-name'), 'filter_letterbox');
    const address = prop(argv, 'hailoexportzmq', 'address') ?? '';
    assert.match(address, /^ipc:\/\/.+\.zmq$/, 'an ipc socket of this run, not tcp://*:5555');
    assert.ok(address.startsWith(`ipc://${tmpdir()}`), address);
    assert.ok(!argv.includes('hailooverlay'), 'default --overlay page');
    assert.equal(argv[0], '-v', 'gst-launch prints the frame tap, for the frame clock');
  });
}

test('--hef, --overlay, --labels, --hailo-input and --hailo-function reach their elements; no hailortcli needed', async (t) => {
  const { argv } = await hailoRun(
    t,
    ['--hef', '/home/pi/yolov11n.hef', '--overlay', 'both', '--labels', '/home/pi/labels.json', '--hailo-input', '320x320', '--hailo-function', 'filter'],
    undefined,
  );
  assert.equal(prop(argv, 'hailonet', 'hef-path'), '/home/pi/yolov11n.hef');
  assert.equal(prop(argv, 'hailofilter', 'config-path'), '/home/pi/labels.json');
  assert.equal(prop(argv, 'hailofilter', 'function-name'), 'filter');
  assert.ok(argv.includes('video/x-raw,pixel-aspect-ratio=1/1,width=320,height=320'));
  assert.ok(argv.indexOf('hailooverlay') >= 0 && argv.indexOf('hailooverlay') < argv.indexOf('hailoexportzmq'), 'both: burnt in and exported');
});

test('--overlay picture: burnt in only, nothing exported', async (t) => {
  const { argv } = await hailoRun(t, ['--overlay', 'picture'], 'HAILO8');
  assert.ok(argv.includes('hailooverlay'));
  assert.ok(!argv.includes('hailoexportzmq'));
});

test('no Hailo found and no --hef: E_NO_HAILO says what to check and how to name the network', async (t) => {
  const bin = fakeBin(t);
  const { FAKE_HAILO_ARCH: _arch, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, PATH: `${bin}:${process.env.PATH ?? ''}` };
  const agent = new AgentProcess(['offer', '--source', 'hailo', '--single-codec', '--stats-interval', '0'], env);
  t.after(() => agent.kill());
  assert.equal(await agent.exited, 1);
  assert.match(agent.stderr, /E_NO_HAILO/);
  assert.match(agent.stderr, /HAILO_OUT_OF_PHYSICAL_DEVICES/);
  assert.match(agent.stderr, /hailortcli fw-control identify/);
  assert.match(agent.stderr, /--hef \/usr\/share\/hailo-models\/yolov8s_h8\.hef/);
});

test('bad hailo flags are refused with E_USAGE before anything starts', async () => {
  for (const [args, words] of [
    [['--overlay', 'sideways'], /--overlay must be one of page, picture, both/],
    [['--hailo-input', '640'], /--hailo-input must be WIDTHxHEIGHT/],
    [['--labels', 'a.json', '--hailo-config', 'b.json'], /give one/],
  ] as const) {
    const agent = new AgentProcess(['offer', '--source', 'hailo', ...args]);
    assert.equal(await agent.exited, 2, args.join(' '));
    assert.match(agent.stderr, words);
  }
});
