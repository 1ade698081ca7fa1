import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserPeer } from './browser-peer.ts';

/** The promise for every bad input: the viewer's video never stops this long. */
export const MAX_GAP_MS = 250;

/**
 * The longest gap between the viewer's frames over `windowMs` of no input at all (10 to 60 s):
 * what the machine itself costs. Two cores shared by several test runs stall a headless
 * Chromium for 300-750 ms at times with an idle agent (measured), which is not the agent's
 * doing; such stalls are rare and long-tailed, so the control watches at least 10 s to see one.
 * What the agent did before (2.9 s for a 10 MB line) stands out of that either way.
 */
export async function controlGap(viewer: BrowserPeer, windowMs: number): Promise<number> {
  const started = Date.now();
  await sleep(Math.min(Math.max(windowMs, 10_000), 60_000));
  return (await viewer.videoStats(Date.now() - started)).longestGapMs;
}

/** Why `gapMs` breaks the promise, or undefined: under MAX_GAP_MS, or no worse than the control. */
export function stallVerdict(what: string, gapMs: number, controlMs: number | undefined): string | undefined {
  if (gapMs < MAX_GAP_MS || (controlMs !== undefined && gapMs <= controlMs)) return undefined;
  return `${what}: the video stopped for ${Math.round(gapMs)} ms${controlMs === undefined ? '' : ` (with no input, at most ${Math.round(controlMs)} ms)`}`;
}

/**
 * Asserts that `gapMs`, the longest gap between the viewer's frames while bad input was handled,
 * is under MAX_GAP_MS, or, on a machine that stalls by itself, no longer than a control with no
 * input shows (taken only then). Returns the control's gap, if one was taken.
 */
export async function assertNoStall(viewer: BrowserPeer, what: string, gapMs: number, windowMs: number): Promise<number | undefined> {
  if (gapMs < MAX_GAP_MS) return undefined;
  const control = await controlGap(viewer, windowMs);
  const verdict = stallVerdict(what, gapMs, control);
  assert.equal(verdict, undefined, verdict);
  console.log(`${what}: a ${Math.round(gapMs)} ms gap, but ${Math.round(control)} ms with no input at all: the machine stalled`);
  return control;
}
