import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserPeer } from './chromium.ts';

/** The promise for every bad input: the viewer's video never stops this long. */
export const MAX_GAP_MS = 250;

/**
 * Asserts that `gapMs`, the longest gap between the viewer's frames while bad input was handled,
 * is under MAX_GAP_MS. When it is not, the same viewer is watched for as long again (at most
 * 60 s) with no input at all: on a machine that stalls by itself (two cores shared by several
 * test runs stall a headless Chromium for 300-700 ms at times, measured) the gap counts as the
 * machine's only if the control shows one as long. Returns the control's gap, if one was taken.
 */
export async function assertNoStall(viewer: BrowserPeer, what: string, gapMs: number, windowMs: number): Promise<number | undefined> {
  if (gapMs < MAX_GAP_MS) return undefined;
  const started = Date.now();
  await sleep(Math.min(windowMs, 60_000));
  const control = (await viewer.videoStats(Date.now() - started)).longestGapMs;
  assert.ok(gapMs <= control, `${what}: the video stopped for ${Math.round(gapMs)} ms (with no input, at most ${Math.round(control)} ms)`);
  console.log(`${what}: a ${Math.round(gapMs)} ms gap, but ${Math.round(control)} ms with no input at all: the machine stalled`);
  return control;
}
