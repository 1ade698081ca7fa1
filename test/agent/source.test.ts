/**
 * Which source the agent streams, with the real gstreamer1.0-libcamera installed and no camera
 * on this machine: an asked-for camera is refused with advice, and `auto` falls back saying why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { probeCamera } from '../../pi-agent/src/gst/camera-probe.ts';
import { AgentProcess } from '../harness/index.ts';

const noCamera = probeCamera({ env: process.env }).then((probe) => (probe.found ? 'this machine has a camera' : undefined));

test('libcamera with no camera: the probe says "none" in libcamerasrc\'s own words', async (t) => {
  const skip = await noCamera;
  if (skip) return t.skip(skip);
  const probe = await probeCamera({ env: process.env });
  assert.deepEqual(probe, { found: false, none: true, detail: 'libcamerasrc: Could not find any supported camera on this system.' });
});

test('--source libcamera with no camera: E_NO_CAMERA with what to check, not "element missing", exit 1', async (t) => {
  const skip = await noCamera;
  if (skip) return t.skip(skip);
  const agent = new AgentProcess(['offer', '--source', 'libcamera', '--stats-interval', '0']);
  assert.equal(await agent.exited, 1);
  assert.match(agent.stderr, /^pi-agent: E_NO_CAMERA: no camera found: libcamera sees no camera \(libcamerasrc: Could not find any supported camera/);
  assert.match(agent.stderr, /rpicam-hello --list-cameras/);
  assert.match(agent.stderr, /--source test/);
  assert.doesNotMatch(agent.stderr, /E_GST_MISSING|is missing/);
  assert.equal(agent.events.find((e) => e.type === 'pipeline'), undefined, 'no pipeline was started');
});

test('--source auto with libcamerasrc installed but no camera: the test picture, saying why', async (t) => {
  const skip = await noCamera;
  if (skip) return t.skip(skip);
  const agent = new AgentProcess(['offer', '--stats-interval', '0']);
  const ready = await agent.next('ready');
  assert.equal(ready.source, 'test (no camera found)');
  await agent.next('offer');
  assert.equal(await agent.stop(), 0);
});
