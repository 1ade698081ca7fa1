// The first part of the camera pipeline: whatever makes raw video (test pattern, libcamera, V4L2,
// the user's own fragment, Hailo detection, or frames the agent writes to stdin), as argv tokens.
import { badOption } from './errors.ts';
import { MUXER, RTPBIN, TEE, el, link, queue } from './gst-tokens.ts';
import type { PipelineOptions } from './pipeline-spec.ts';

/** Where Raspberry Pi OS's hailo-all puts TAPPAS' YOLO post-process (works for HEFs compiled with NMS). */
export const DEFAULT_HAILO_POST_PROCESS = '/usr/lib/aarch64-linux-gnu/hailo/tappas/post_processes/libyolo_hailortpp_post.so';

/**
 * Splits a custom gst-launch fragment into argv tokens at whitespace, keeping "double-quoted"
 * stretches (quotes included) in one token: gst-launch re-joins argv and reads the quotes itself.
 */
export function splitFragment(fragment: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < fragment.length; i++) {
    const ch = fragment[i]!;
    if (ch === '\\' && i + 1 < fragment.length) {
      current += ch + fragment[++i];
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (!quoted && /\s/.test(ch)) {
      if (current !== '') tokens.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (quoted) badOption(`the custom source has an unclosed quote: ${fragment}`);
  if (current !== '') tokens.push(current);
  return tokens;
}

function customSource(options: PipelineOptions): string[] {
  const fragment = options.custom?.trim() ?? '';
  if (fragment === '') badOption('the custom source is empty: give a GStreamer fragment ending in raw video, e.g. "v4l2src device=/dev/video2 ! videoconvert"');
  const tokens = splitFragment(fragment);
  if (tokens[0] === '!' || tokens[tokens.length - 1] === '!') badOption(`the custom source must not start or end with "!": ${fragment}`);
  if (tokens.some((t) => t.startsWith(`${RTPBIN}.`) || t.startsWith(`${TEE}.`) || t.startsWith(`${MUXER}.`))) {
    badOption(`the custom source must not refer to Pigeon's own elements (${RTPBIN}, ${TEE}, ${MUXER})`);
  }
  return tokens;
}

export interface Source {
  tokens: string[];
  /** Asks the camera for the rate instead of converting it; false when only videorate can guarantee it. */
  ratedBySource: boolean;
  summary: string;
}

export function source(options: PipelineOptions): Source {
  const { width, height, fps } = options;
  const sized = (format: string): string => `video/x-raw,format=${format},width=${width},height=${height},framerate=${fps}/1`;
  switch (options.source) {
    case 'test':
      // Scrolling colour bars make the encoder spend the whole bitrate, as a camera does (a ball
      // on black needs a tenth of it); is-live paces the frames like a camera.
      return { tokens: el('videotestsrc', { 'is-live': true, pattern: 'smpte', 'horizontal-speed': 2 }), ratedBySource: true, summary: 'test pattern' };
    case 'libcamera':
      return { tokens: link(el('libcamerasrc'), [sized('NV12')]), ratedBySource: true, summary: 'libcamera' };
    case 'v4l2': {
      const device = options.device ?? '/dev/video0';
      return { tokens: el('v4l2src', { device }), ratedBySource: false, summary: `V4L2 ${device}` };
    }
    case 'custom':
      return { tokens: customSource(options), ratedBySource: false, summary: 'custom source' };
    case 'hailo':
      return { tokens: hailoSource(options), ratedBySource: true, summary: `Hailo detection (${options.hef ?? ''})` };
    case 'stdin':
      // Frames made by the agent itself (the latency source): GRAY8 at the output size and rate.
      return {
        tokens: link(el('fdsrc', { fd: 0, 'do-timestamp': true }), el('rawvideoparse', { width, height, format: 'gray8', framerate: `${fps}/1` })),
        ratedBySource: true,
        summary: 'frames from the agent',
      };
  }
}

/**
 * Camera -> Hailo detection -> boxes drawn on the camera-sized frames, in the shape of Hailo's
 * rpi5 detection examples: a tee feeds a bypass branch at full size and an inference branch
 * scaled to the network's input; hailomuxer puts the inference branch's detections on the
 * bypass frames and hailooverlay draws them. Detections are relative coordinates, so squashing
 * the frame to the network size (no borders) maps straight back onto the full frame.
 */
function hailoSource(options: PipelineOptions): string[] {
  const { width, height, fps } = options;
  const net = options.networkSize ?? { width: 640, height: 640 };
  const camera = link(el('libcamerasrc'), [`video/x-raw,format=RGB,width=${width},height=${height},framerate=${fps}/1`], queue(3, 'downstream'), el('tee', { name: TEE }));
  const bypass = link([`${TEE}.`], queue(20), [`${MUXER}.sink_0`]);
  const inference = link(
    [`${TEE}.`],
    queue(3),
    el('videoscale', { 'add-borders': false, qos: false }),
    [`video/x-raw,width=${net.width},height=${net.height}`],
    el('videoconvert', { 'n-threads': 2, qos: false }),
    ['video/x-raw,format=RGB'],
    queue(3),
    el('hailonet', { 'hef-path': options.hef, 'batch-size': 1, 'force-writable': true }),
    queue(3),
    el('hailofilter', { 'so-path': options.postProcess ?? DEFAULT_HAILO_POST_PROCESS, qos: false }),
    queue(3),
    [`${MUXER}.sink_1`],
  );
  const overlay = link([`${MUXER}.`], queue(3), el('hailooverlay', { qos: false }));
  return [...el('hailomuxer', { name: MUXER }), ...camera, ...bypass, ...inference, ...overlay];
}
