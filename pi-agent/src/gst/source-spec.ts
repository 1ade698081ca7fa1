// The first part of the camera pipeline: whatever makes raw video (test pattern, libcamera, V4L2,
// the user's own fragment, Hailo detection, or frames the agent writes to stdin), as argv tokens.
import { badOption } from '../core/errors.ts';
import { AGGREGATOR, CROPPER, FRAME_TAP, RTPBIN, TEE, el, link, queue } from './gst-tokens.ts';
import type { PipelineOptions } from './pipeline-spec.ts';

/** Where Raspberry Pi OS's hailo-all puts TAPPAS' post-processes. */
const TAPPAS_POST_PROCESSES = '/usr/lib/aarch64-linux-gnu/hailo/tappas/post_processes';
/** TAPPAS' YOLO post-process (works for HEFs compiled with NMS). */
export const DEFAULT_HAILO_POST_PROCESS = `${TAPPAS_POST_PROCESSES}/libyolo_hailortpp_post.so`;
/** hailo-apps' detection default: the YOLO post-process that expects letterboxed input. */
export const DEFAULT_HAILO_FUNCTION = 'filter_letterbox';
/** hailocropper's whole-frame "crop", as hailo-apps' INFERENCE_PIPELINE_WRAPPER uses it. */
export const WHOLE_BUFFER_CROP = `${TAPPAS_POST_PROCESSES}/cropping_algorithms/libwhole_buffer.so`;

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
  const own = [RTPBIN, TEE, CROPPER, AGGREGATOR];
  if (tokens.some((t) => own.some((name) => t.startsWith(`${name}.`)))) {
    badOption(`the custom source must not refer to Pigeon's own elements (${own.join(', ')})`);
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
      return { tokens: hailoSource(options), ratedBySource: true, summary: `Hailo detection (${options.hef ?? ''}, boxes ${options.overlay ?? 'page'})` };
    case 'shm':
      return { tokens: shmSource(options), ratedBySource: true, summary: `frames from ${options.shm?.socketPath ?? ''}` };
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
 * Camera -> Hailo detection, in the shape of hailo-apps' INFERENCE_PIPELINE_WRAPPER: hailocropper
 * sends each whole frame on a bypass branch and a letterboxed copy at the network's input size
 * to hailonet; hailoaggregator puts the detections back on the full frame with the letterbox
 * undone, so boxes are relative to the camera's frame. Then, as asked, hailooverlay burns them
 * into the picture, and hailoexportzmq sends them to the agent as data. The frame tap right
 * after the export sees exactly the buffers the export counted (same thread, no queue between),
 * so the agent learns each exported buffer_offset's PTS from gst-launch -v (frame-clock.ts).
 */
function hailoSource(options: PipelineOptions): string[] {
  const { width, height, fps } = options;
  const net = options.networkSize ?? { width: 640, height: 640 };
  const overlay = options.overlay ?? 'page';
  const camera = link(el('libcamerasrc'), [`video/x-raw,format=RGB,width=${width},height=${height},framerate=${fps}/1`], queue(3, 'downstream'));
  const cropper = el('hailocropper', {
    name: CROPPER,
    'so-path': WHOLE_BUFFER_CROP,
    'function-name': 'create_crops',
    'use-letterbox': true,
    'resize-method': 'inter-area',
    'internal-offset': true,
  });
  const bypass = link([`${CROPPER}.`], queue(20), [`${AGGREGATOR}.sink_0`]);
  const inference = link(
    [`${CROPPER}.`],
    queue(3),
    el('videoscale', { 'n-threads': 2, qos: false }),
    [`video/x-raw,pixel-aspect-ratio=1/1,width=${net.width},height=${net.height}`],
    el('videoconvert', { 'n-threads': 2, qos: false }),
    ['video/x-raw,format=RGB'],
    queue(3),
    el('hailonet', { 'hef-path': options.hef, 'batch-size': 1, 'force-writable': true }),
    queue(3),
    el('hailofilter', {
      'so-path': options.postProcess ?? DEFAULT_HAILO_POST_PROCESS,
      'config-path': options.hailoConfig,
      'function-name': options.hailoFunction ?? DEFAULT_HAILO_FUNCTION,
      qos: false,
    }),
    queue(3),
    [`${AGGREGATOR}.sink_1`],
  );
  const out = link(
    [`${AGGREGATOR}.`],
    queue(3),
    ...(overlay === 'page' ? [] : [el('hailooverlay', { qos: false })]),
    ...(overlay === 'picture' ? [] : [el('hailoexportzmq', { address: options.exportAddress }), frameTap()]),
  );
  return [...link(camera, cropper), ...el('hailoaggregator', { name: AGGREGATOR }), ...bypass, ...inference, ...out];
}

/** Prints every buffer's PTS (with gst-launch -v): how the agent learns which frame is which. */
export function frameTap(): string[] {
  return el('identity', { name: FRAME_TAP, silent: false });
}

/**
 * The user's own app's frames from its shmsink (docs/hailo.md). shm carries bare frames, no caps
 * and no timestamps, so the caps are the app's and each frame is stamped as it arrives; the
 * frame tap then tells the agent each frame's arrival time and PTS (frame-clock.ts).
 */
function shmSource(options: PipelineOptions): string[] {
  const { width, height, fps } = options;
  const shm = options.shm;
  if (!shm || shm.socketPath.trim() === '') badOption('the shm source needs the socket path of the app\'s shmsink');
  return link(
    el('shmsrc', { 'socket-path': shm.socketPath, 'is-live': true, 'do-timestamp': true }),
    [`video/x-raw,format=${shm.format ?? 'RGB'},width=${width},height=${height},framerate=${fps}/1`],
    frameTap(),
  );
}
