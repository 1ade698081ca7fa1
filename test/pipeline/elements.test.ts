/**
 * checkElements against the real gst-inspect-1.0: GStreamer 1.22 with Debian's
 * gstreamer1.0-libcamera (which ./pigeon test installs), without Hailo's elements.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { checkElements, hasElement } from '../../pi-agent/src/gst/elements.ts';
import { buildPipeline, isPipelineError } from '../../pi-agent/src/gst/pipeline-spec.ts';
import { TEST_OPTIONS } from './options.ts';

const OPTIONS = TEST_OPTIONS;

test('test source with x264 and with VP8: every element is installed', async () => {
  await checkElements(buildPipeline(OPTIONS).elements);
  await checkElements(buildPipeline({ ...OPTIONS, encoder: 'vp8' }).elements);
});

test('libcamera source: libcamerasrc passes though its plugin carries libcamera\'s version, not GStreamer\'s', async () => {
  const plugin = spawnSync('gst-inspect-1.0', ['libcamera'], { encoding: 'utf8' });
  assert.equal(plugin.status, 0, 'gstreamer1.0-libcamera is installed (./pigeon test installs it)');
  const version = /^\s*Version\s+(\S+)/m.exec(plugin.stdout)?.[1];
  assert.match(version ?? '', /^0\./, 'the plugin is versioned apart from GStreamer (libcamera 0.x), the case --exists alone refuses');
  assert.equal(await hasElement('libcamerasrc'), true);
  await checkElements(buildPipeline({ ...OPTIONS, source: 'libcamera' }).elements);
  assert.equal(await hasElement('pigeonnosuchsrc'), false);
});

test('hailo source: each missing element named with the package to install', async () => {
  const error = await checkElements(buildPipeline({ ...OPTIONS, source: 'hailo' }).elements).then(
    () => assert.fail('hailo elements are not installed here'),
    (e: unknown) => e,
  );
  assert.ok(isPipelineError(error), String(error));
  assert.equal(error.code, 'E_GST_MISSING');
  assert.deepEqual(
    error.missing?.map((e) => e.name),
    ['hailocropper', 'hailoaggregator', 'hailonet', 'hailofilter', 'hailoexportzmq'],
  );
  assert.equal(
    error.message,
    [
      ...['hailocropper', 'hailoaggregator', 'hailonet', 'hailofilter', 'hailoexportzmq'].map(
        (name) => `GStreamer element ${name} is missing: install hailo-all (Raspberry Pi OS, then reboot): sudo apt install hailo-all`,
      ),
      'If it is installed already, gst-inspect-1.0 -b lists the plugins GStreamer could not load.',
    ].join('\n'),
  );
});

test('an unknown element in a custom source is named, with no package guessed', async () => {
  const spec = buildPipeline({ ...OPTIONS, source: 'custom', custom: 'pigeonnosuchsrc ! videoconvert' });
  await assert.rejects(checkElements(spec.elements), (error: unknown) => {
    assert.ok(isPipelineError(error));
    assert.equal(error.code, 'E_GST_MISSING');
    assert.match(error.message, /^GStreamer element pigeonnosuchsrc is missing: Pigeon does not know which package provides it/);
    return true;
  });
});

test('no gst-inspect-1.0: E_GST_NOT_INSTALLED naming gstreamer1.0-tools', async () => {
  await assert.rejects(checkElements(buildPipeline(OPTIONS).elements, { env: { ...process.env, PATH: '/nonexistent' } }), (error: unknown) => {
    assert.ok(isPipelineError(error));
    assert.equal(error.code, 'E_GST_NOT_INSTALLED');
    assert.match(error.message, /gst-inspect-1.0 was not found.*sudo apt install gstreamer1.0-tools/);
    return true;
  });
});
