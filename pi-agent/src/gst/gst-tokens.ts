// gst-launch-1.0 argv, built as token lists: one token per element, property, caps or link, so
// nothing is ever parsed by a shell. Shared by the camera pipeline and the codec branches.

// Names of our own elements, prefixed so they cannot collide with names in a custom fragment.
export const RTPBIN = 'pigeon_rtp';
export const TEE = 'pigeon_tee';
export const CROPPER = 'pigeon_hailocrop';
export const AGGREGATOR = 'pigeon_hailoagg';
/** The identity whose last-message (gst-launch -v) tells the agent each frame's PTS. */
export const FRAME_TAP = 'pigeon_frames';
export const SCAN_TEE = 'pigeon_scan';
export const SHARE_TEE = 'pigeon_share';

type Props = Record<string, string | number | boolean | undefined>;

/** One element as tokens: the factory name, then `key=value` per defined property. */
export function el(name: string, props: Props = {}): string[] {
  const tokens = [name];
  for (const [key, value] of Object.entries(props)) {
    if (value !== undefined) tokens.push(`${key}=${String(value)}`);
  }
  return tokens;
}

/** Joins elements (token groups) with `!`. */
export function link(...parts: string[][]): string[] {
  return parts.flatMap((part, i) => (i === 0 ? part : ['!', ...part]));
}

export function queue(maxBuffers: number, leaky: 'no' | 'downstream' = 'no'): string[] {
  return el('queue', { leaky, 'max-size-buffers': maxBuffers, 'max-size-bytes': 0, 'max-size-time': 0 });
}

/** Factory names in a token list: tokens that are not links, properties, caps or pad references. */
export function elementNames(tokens: readonly string[]): string[] {
  return tokens.filter((t) => t !== '!' && !t.includes('=') && !t.includes('/') && !t.includes('.') && !t.startsWith('-') && !t.startsWith('"'));
}
