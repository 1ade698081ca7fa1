/**
 * Options -> the argv of a `gst-launch-1.0` child that captures, optionally runs Hailo detection,
 * encodes and sends RTP to the agent over loopback UDP. Pure: no I/O, so every chain is testable.
 *
 * Every pipeline ends in the same tail:
 *
 *   … raw video ! videoconvert ! videoscale ! video/x-raw,format=I420,… ! queue (leaky) ! encoder
 *     ! payloader ! pigeon_rtp.send_rtp_sink_0
 *   rtpbin name=pigeon_rtp
 *   pigeon_rtp.send_rtp_src_0  ! udpsink  -> rtpPort      (RTP to the agent)
 *   pigeon_rtp.send_rtcp_src_0 ! udpsink  -> rtcpPort     (sender reports)
 *   udpsrc <- rtcpInPort ! pigeon_rtp.recv_rtcp_sink_0     (PLI/FIR from the agent)
 *
 * rtpbin turns a PLI or FIR addressed to the payloader's SSRC into an upstream force-key-unit
 * event, so the encoder emits a keyframe when a viewer joins.
 */

import { PipelineError } from './errors.ts';
import { el, elementNames, link, queue } from './gst-tokens.ts';

export { PipelineError, isPipelineError, type PipelineErrorCode } from './errors.ts';

export type SourceKind = 'test' | 'libcamera' | 'v4l2' | 'hailo' | 'custom' | 'stdin';
export type EncoderKind = 'x264' | 'v4l2h264' | 'vp8';

export interface PipelineOptions {
  source: SourceKind;
  /** v4l2: the device node (default /dev/video0). */
  device?: string;
  /** custom: the user's own source fragment ending in raw video, e.g. "v4l2src device=/dev/video2 ! videoconvert". */
  custom?: string;
  /** hailo: path to the compiled network (.hef). */
  hef?: string;
  /** hailo: hailofilter post-process library (default: Raspberry Pi OS's YOLO post-process). */
  postProcess?: string;
  /** hailo: the network's input size (default 640×640, the YOLO networks Hailo ships). */
  networkSize?: { width: number; height: number };
  encoder: EncoderKind;
  width: number;
  height: number;
  fps: number;
  /** kbit/s */
  bitrate: number;
  /** Seconds between periodic keyframes; viewers that join get one sooner through PLI. */
  keyframeInterval: number;
  /** gst sends RTP here (127.0.0.1). */
  rtpPort: number;
  /** gst sends its RTCP sender reports here (127.0.0.1). */
  rtcpPort: number;
  /** gst listens here (127.0.0.1) for RTCP from the agent (PLI/FIR). */
  rtcpInPort: number;
  /** Default 96. */
  payloadType?: number;
  /** Fixed SSRC for the payloader so the agent can address PLI to it (default: gst picks one). */
  ssrc?: number;
  /**
   * Also send small grey frames on file descriptor 3 for the agent's QR reader, a few a second,
   * from the same camera (a tee: the camera is never opened twice).
   */
  scan?: ScanFrames;
  /**
   * Also offer the raw frames (I420 at the output size) on a shared-memory socket, for a second
   * encoder in a pipeline of its own (branch-spec.ts) that starts and stops with its viewers.
   */
  share?: { socketPath: string };
}

/** Raw GRAY8 frames, width × height bytes each (width a multiple of 8, so rows are unpadded). */
export interface ScanFrames {
  width: number;
  height: number;
  fps: number;
}

export interface RequiredElement {
  name: string;
  /** The Debian / Raspberry Pi OS package that provides it; '' when Pigeon does not know (custom sources). */
  debianPackage: string;
}

export interface PipelineSpec {
  /** argv for gst-launch-1.0: one token per element, property, caps or link (no shell, no flags). */
  args: string[];
  /** Every element the pipeline creates, for checking before starting. */
  elements: RequiredElement[];
  /** Human-readable one-line summary for logs. */
  description: string;
  /** Set when the pipeline writes scan frames to fd 3. */
  scan?: ScanFrames;
  /** Set when the source reads raw GRAY8 frames of width × height from stdin (source 'stdin'). */
  input?: { width: number; height: number };
}

/** Where Raspberry Pi OS's hailo-all puts TAPPAS' YOLO post-process (works for HEFs compiled with NMS). */
export const DEFAULT_HAILO_POST_PROCESS = '/usr/lib/aarch64-linux-gnu/hailo/tappas/post_processes/libyolo_hailortpp_post.so';

const HAILO_PACKAGE = 'hailo-all';
const PACKAGES: Record<string, string> = {
  queue: 'libgstreamer1.0-0',
  tee: 'libgstreamer1.0-0',
  identity: 'libgstreamer1.0-0',
  videotestsrc: 'gstreamer1.0-plugins-base',
  videoconvert: 'gstreamer1.0-plugins-base',
  videoscale: 'gstreamer1.0-plugins-base',
  videorate: 'gstreamer1.0-plugins-base',
  videoflip: 'gstreamer1.0-plugins-good',
  v4l2src: 'gstreamer1.0-plugins-good',
  v4l2h264enc: 'gstreamer1.0-plugins-good',
  v4l2convert: 'gstreamer1.0-plugins-good',
  jpegdec: 'gstreamer1.0-plugins-good',
  vp8enc: 'gstreamer1.0-plugins-good',
  rtph264pay: 'gstreamer1.0-plugins-good',
  rtpvp8pay: 'gstreamer1.0-plugins-good',
  rtpbin: 'gstreamer1.0-plugins-good',
  udpsink: 'gstreamer1.0-plugins-good',
  udpsrc: 'gstreamer1.0-plugins-good',
  x264enc: 'gstreamer1.0-plugins-ugly',
  fdsink: 'libgstreamer1.0-0',
  fdsrc: 'libgstreamer1.0-0',
  shmsink: 'gstreamer1.0-plugins-bad',
  shmsrc: 'gstreamer1.0-plugins-bad',
  rawvideoparse: 'gstreamer1.0-plugins-bad',
  multifilesrc: 'gstreamer1.0-plugins-good',
  pngdec: 'gstreamer1.0-plugins-good',
  kmssink: 'gstreamer1.0-plugins-bad',
  fbdevsink: 'gstreamer1.0-plugins-bad',
  autovideosink: 'gstreamer1.0-plugins-good',
  fakesink: 'libgstreamer1.0-0',
  libcamerasrc: 'gstreamer1.0-libcamera',
  hailonet: HAILO_PACKAGE,
  hailofilter: HAILO_PACKAGE,
  hailooverlay: HAILO_PACKAGE,
  hailomuxer: HAILO_PACKAGE,
};

/** The package Pigeon knows provides `element`, or '' (a user's custom element). */
export function debianPackage(element: string): string {
  return PACKAGES[element] ?? '';
}

// Names of our own elements, prefixed so they cannot collide with names in a custom fragment.
const RTPBIN = 'pigeon_rtp';
const TEE = 'pigeon_tee';
const MUXER = 'pigeon_hailomux';
const SCAN_TEE = 'pigeon_scan';
const SHARE_TEE = 'pigeon_share';
// Room for a few frames: shmsink drops what a slow or absent reader has not taken.
const SHARE_FRAMES = 4;

function fail(message: string): never {
  throw new PipelineError('E_GST_OPTIONS', message);
}

function checkInteger(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) fail(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
}

function validate(options: PipelineOptions): void {
  checkInteger(options.width, 'width', 16, 8192);
  checkInteger(options.height, 'height', 16, 8192);
  // I420 and the H.264 encoders need even sizes; better a clear message than a negotiation error.
  if (options.width % 2 !== 0 || options.height % 2 !== 0) fail(`width and height must be even, not ${options.width}×${options.height}`);
  checkInteger(options.fps, 'fps', 1, 240);
  checkInteger(options.bitrate, 'bitrate (kbit/s)', 16, 100_000);
  if (!(Number.isFinite(options.keyframeInterval) && options.keyframeInterval > 0 && options.keyframeInterval <= 3600)) {
    fail(`keyframeInterval must be seconds above 0 and at most 3600, not ${options.keyframeInterval}`);
  }
  checkInteger(options.rtpPort, 'rtpPort', 1, 65535);
  checkInteger(options.rtcpPort, 'rtcpPort', 1, 65535);
  checkInteger(options.rtcpInPort, 'rtcpInPort', 1, 65535);
  if (options.payloadType !== undefined) checkInteger(options.payloadType, 'payloadType', 96, 127);
  if (options.scan) {
    checkInteger(options.scan.width, 'scan width', 64, 4096);
    checkInteger(options.scan.height, 'scan height', 64, 4096);
    checkInteger(options.scan.fps, 'scan fps', 1, 30);
    // GRAY8 rows are padded to 4 bytes; a multiple of 8 keeps every frame exactly width × height.
    if (options.scan.width % 8 !== 0) fail(`scan width must be a multiple of 8, not ${options.scan.width}`);
  }
  if (options.ssrc !== undefined) checkInteger(options.ssrc, 'ssrc', 0, 0xffffffff);
  if (options.source === 'hailo') {
    if (options.hef === undefined || options.hef.trim() === '') fail('the hailo source needs a .hef network file (hef)');
    const size = options.networkSize ?? { width: 640, height: 640 };
    checkInteger(size.width, 'networkSize.width', 1, 8192);
    checkInteger(size.height, 'networkSize.height', 1, 8192);
  }
  if (options.source === 'v4l2' && options.device !== undefined && options.device.trim() === '') fail('device must not be empty');
}

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
  if (quoted) fail(`the custom source has an unclosed quote: ${fragment}`);
  if (current !== '') tokens.push(current);
  return tokens;
}

function customSource(options: PipelineOptions): string[] {
  const fragment = options.custom?.trim() ?? '';
  if (fragment === '') fail('the custom source is empty: give a GStreamer fragment ending in raw video, e.g. "v4l2src device=/dev/video2 ! videoconvert"');
  const tokens = splitFragment(fragment);
  if (tokens[0] === '!' || tokens[tokens.length - 1] === '!') fail(`the custom source must not start or end with "!": ${fragment}`);
  if (tokens.some((t) => t.startsWith(`${RTPBIN}.`) || t.startsWith(`${TEE}.`) || t.startsWith(`${MUXER}.`))) {
    fail(`the custom source must not refer to Pigeon's own elements (${RTPBIN}, ${TEE}, ${MUXER})`);
  }
  return tokens;
}

interface Source {
  tokens: string[];
  /** Asks the camera for the rate instead of converting it; false when only videorate can guarantee it. */
  ratedBySource: boolean;
  summary: string;
}

function source(options: PipelineOptions): Source {
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

export interface Encoder {
  tokens: string[];
  summary: string;
}

export type EncoderOptions = Pick<PipelineOptions, 'encoder' | 'fps' | 'bitrate' | 'keyframeInterval' | 'payloadType' | 'ssrc'>;

export function encoder(options: EncoderOptions): Encoder {
  const gop = Math.max(1, Math.round(options.fps * options.keyframeInterval));
  const pay = { pt: options.payloadType ?? 96, ssrc: options.ssrc, mtu: 1200 };
  const h264pay = el('rtph264pay', { ...pay, 'config-interval': -1, 'aggregate-mode': 'zero-latency' });
  switch (options.encoder) {
    case 'x264':
      // No hardware H.264 on a Pi 5; ultrafast + zerolatency keeps a 720p30 stream on one or two cores.
      return {
        tokens: link(
          el('x264enc', { tune: 'zerolatency', 'speed-preset': 'ultrafast', bitrate: options.bitrate, 'key-int-max': gop }),
          ['video/x-h264,profile=constrained-baseline'],
          h264pay,
        ),
        summary: 'H.264 (x264)',
      };
    case 'v4l2h264':
      // The Pi 4's hardware encoder takes bitrate and GOP as V4L2 controls; without level in the
      // caps it fails to negotiate.
      return {
        tokens: link(
          el('v4l2h264enc', {
            'extra-controls': `controls,video_bitrate=${options.bitrate * 1000},h264_i_frame_period=${gop},repeat_sequence_header=1`,
          }),
          ['video/x-h264,level=(string)4,profile=(string)constrained-baseline'],
          h264pay,
        ),
        summary: 'H.264 (v4l2h264enc)',
      };
    case 'vp8':
      return {
        tokens: link(
          el('vp8enc', {
            deadline: 1,
            'cpu-used': 8,
            'end-usage': 'cbr',
            'target-bitrate': options.bitrate * 1000,
            'keyframe-max-dist': gop,
            'lag-in-frames': 0,
            'error-resilient': 'partitions',
            threads: 2,
          }),
          el('rtpvp8pay', { ...pay, 'picture-id-mode': '15-bit' }),
        ),
        summary: 'VP8',
      };
  }
}

export function buildPipeline(options: PipelineOptions): PipelineSpec {
  validate(options);
  const { width, height, fps } = options;
  const src = source(options);
  const enc = encoder(options);
  const raw = link(
    src.tokens,
    el('videoconvert'),
    el('videoscale'),
    ...(src.ratedBySource ? [] : [el('videorate')]),
    [`video/x-raw,format=I420,width=${width},height=${height},framerate=${fps}/1`],
    ...(options.scan ? [el('tee', { name: SCAN_TEE })] : []),
    ...(options.share ? [el('tee', { name: SHARE_TEE })] : []),
    // A slow encoder drops stale frames here instead of building latency.
    queue(2, 'downstream'),
    enc.tokens,
    [RTPBIN_SINK],
  );
  // The QR reader's branch may fall behind or stall without slowing the video: it keeps one
  // frame at most and drops the rest.
  const scan = options.scan
    ? link(
        [`${SCAN_TEE}.`],
        queue(1, 'downstream'),
        el('videorate', { 'drop-only': true }),
        el('videoscale'),
        el('videoconvert'),
        [`video/x-raw,format=GRAY8,width=${options.scan.width},height=${options.scan.height},framerate=${options.scan.fps}/1`],
        el('fdsink', { fd: 3, sync: false, async: false }),
      )
    : [];
  // The second encoder's frames: never waits for it, and keeps no more than a few.
  const share = options.share
    ? link(
        [`${SHARE_TEE}.`],
        queue(1, 'downstream'),
        el('shmsink', {
          'socket-path': options.share.socketPath,
          'shm-size': width * height * 2 * SHARE_FRAMES,
          'wait-for-connection': false,
          sync: false,
          async: false,
        }),
      )
    : [];
  const args = [...RTPBIN_ELEMENT, ...raw, ...scan, ...share, ...rtpTail(options)];

  const names = [...new Set(elementNames(args))];
  const elements = names.map((name) => ({ name, debianPackage: debianPackage(name) }));
  const ssrc = options.ssrc === undefined ? '' : ` ssrc ${options.ssrc}`;
  const description =
    `${src.summary} ${width}×${height}@${fps} -> ${enc.summary} ${options.bitrate} kbit/s, keyframe every ${options.keyframeInterval} s` +
    ` -> RTP pt ${options.payloadType ?? 96}${ssrc} to 127.0.0.1:${options.rtpPort} (RTCP out ${options.rtcpPort}, in ${options.rtcpInPort})`;
  const scanNote = options.scan ? `; QR reader ${options.scan.width}×${options.scan.height}@${options.scan.fps} on fd 3` : '';
  return {
    args,
    elements,
    description: description + scanNote,
    ...(options.scan ? { scan: options.scan } : {}),
    ...(options.source === 'stdin' ? { input: { width, height } } : {}),
  };
}

/**
 * What every sending pipeline ends in: rtpbin's RTP and sender reports to the agent over
 * loopback, and the agent's keyframe requests (RTCP) back in.
 */
export function rtpTail(ports: Pick<PipelineOptions, 'rtpPort' | 'rtcpPort' | 'rtcpInPort'>): string[] {
  // Bound to loopback: unbound, udpsink opens a socket on 0.0.0.0 and another on [::] that the
  // whole network could send to, for traffic that never leaves this machine.
  const udpsink = (port: number): string[] => el('udpsink', { host: '127.0.0.1', port, 'bind-address': '127.0.0.1', sync: false, async: false });
  return [
    ...link([`${RTPBIN}.send_rtp_src_0`], udpsink(ports.rtpPort)),
    ...link([`${RTPBIN}.send_rtcp_src_0`], udpsink(ports.rtcpPort)),
    ...link(el('udpsrc', { address: '127.0.0.1', port: ports.rtcpInPort, caps: 'application/x-rtcp' }), [`${RTPBIN}.recv_rtcp_sink_0`]),
  ];
}

/** The rtpbin every sending pipeline has, its encoder linked to `<RTPBIN_SINK>`. */
export const RTPBIN_ELEMENT = el('rtpbin', { name: RTPBIN });
export const RTPBIN_SINK = `${RTPBIN}.send_rtp_sink_0`;

/** A shell command line for the argv, for logs and for running the pipeline by hand. */
export function commandLine(args: readonly string[], program = 'gst-launch-1.0'): string {
  const quote = (token: string): string => (token === '!' || /^[\w@%+=:,./-]+$/.test(token) ? token : `'${token.replaceAll("'", `'\\''`)}'`);
  return [program, ...args].map(quote).join(' ');
}

/**
 * The Pi's own screen showing the current offer QR, for when no terminal is attached: a second
 * small pipeline that re-reads the PNG every second, so writing a new PNG is all it takes to
 * change it. kmssink draws on HDMI without a desktop; autovideosink inside one.
 */
export function buildDisplayPipeline(options: { file: string; sink: string }): PipelineSpec {
  if (options.sink.trim() === '') fail('the display sink is empty: e.g. kmssink, fbdevsink or autovideosink');
  const args = link(
    el('multifilesrc', { location: options.file, loop: true, caps: 'image/png,framerate=1/1' }),
    el('pngdec'),
    el('videoconvert'),
    // Paced to its one frame a second: multifilesrc is not a live source.
    el('identity', { sync: true }),
    splitFragment(options.sink),
  );
  const elements = [...new Set(elementNames(args))].map((name) => ({ name, debianPackage: debianPackage(name) }));
  return { args, elements, description: `offer QR from ${options.file} on ${options.sink}` };
}
