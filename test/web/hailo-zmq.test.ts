import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { agentRig, eventually, inViewer, open, paste, screenshots, until } from '../harness/index.ts';

/*
 * Hailo's own detections on the page (issue 22): a real pyzmq PUB socket standing in for
 * hailoexportzmq sends HailoROI JSON to the agent (--detections zmq:tcp://…), and the built page in
 * Chromium draws the boxes with their labels and tracking ids, fires them as `detections` events,
 * and filters them by confidence and label. Broken messages are skipped by the agent with a reason.
 */
const rig = agentRig();
const PUBLISHER = new URL('../fixtures/hailo/zmq-publisher.py', import.meta.url).pathname;


test('a pyzmq publisher of HailoROI JSON: the page draws the boxes with labels and tracking ids, fires them as events, and filters them', async () => {
  const port = 20_000 + (process.pid % 20_000);
  // Only the fixture's first message (a tracked person, an untracked dog), and every tenth frame a broken one.
  const publisher = spawn('/usr/bin/python3', [PUBLISHER, `tcp://127.0.0.1:${port}`, '20', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bound = new Promise((resolve) => createInterface({ input: publisher.stdout }).once('line', resolve));
  const agent = rig.startAgent(['offer', '--source', 'test', '--width', '640', '--height', '480', '--fps', '30', '--stats-interval', '0', '--detections', `zmq:tcp://127.0.0.1:${port}`]);
  try {
    await bound;
    const offer = await agent.next('offer');
    const { page } = await open(rig.chromium());
    await page.evaluate(() => {
      const fired: unknown[] = [];
      (globalThis as unknown as { pigeonDetections: unknown[] }).pigeonDetections = fired;
      document.addEventListener('detections', (event) => fired.push(event.detail));
    });
    await paste(page, offer.text);
    agent.write((await until(page, 'the answer', (s) => s.answer !== '')).answer);
    await until(page, 'connected', (s) => s.viewerStatus === 'connected');

    const label = await eventually(
      () => inViewer(page, (v) => v.shadowRoot!.querySelector('canvas.detections')?.getAttribute('aria-label') ?? ''),
      (text) => text.startsWith('2 detections'),
      15_000,
    );
    assert.equal(label, '2 detections: person #7 87%, dog 51%');
    await screenshots(page, 'hailo-zmq-boxes');

    const fired = (await page.evaluate(() => (globalThis as unknown as { pigeonDetections: { boxes: unknown[] }[] }).pigeonDetections.at(-1))) as { boxes: unknown[] } | undefined;
    assert.deepEqual(fired?.boxes[0], { label: 'person', confidence: 0.872345, x: 0.410278, y: 0.219849, w: 0.120117, h: 0.480469, classId: 1, trackId: 7 });

    // The least confidence, as the slider sets it: the dog goes; then only dogs: nothing is left.
    const filtered = await inViewer(page, async (v) => {
      const slider = v.shadowRoot!.querySelector<HTMLInputElement>('input[aria-label="Least confidence"]')!;
      slider.value = '60';
      slider.dispatchEvent(new Event('input'));
      await v.updateComplete;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const picker = v.shadowRoot!.querySelector<HTMLSelectElement>('select[aria-label="Boxes of label"]')!;
      const options = [...picker.options].map((o) => o.value);
      const minConfidence = v.minConfidence;
      const afterSlider = v.drawnDetections.map((b) => b.label);
      picker.value = 'dog';
      picker.dispatchEvent(new Event('change'));
      await v.updateComplete;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { options, minConfidence, afterSlider, labels: v.detectionLabels, afterPicker: v.drawnDetections.length };
    });
    assert.deepEqual(filtered, { options: ['', 'person', 'dog'], minConfidence: 0.6, afterSlider: ['person'], labels: ['dog'], afterPicker: 0 });

    const refused = await agent.next('refused', { where: (e) => e.code === 'E_DETECTIONS' });
    assert.match(refused.reason, /not JSON/);
    await page.close();
  } finally {
    publisher.kill();
    await agent.stop();
  }
});
