// Options -> the argv of a `gst-launch-1.0` child that captures, optionally runs Hailo detection,
// encodes and sends RTP to the agent over loopback UDP. Pure: no I/O, so every chain is testable.
//
// Every pipeline ends in the same tail:
//
//   … raw video ! videoconvert ! videoscale ! video/x-raw,format=I420,… ! queue (leaky) ! encoder
//     ! payloader ! pigeon_rtp.send_rtp_sink_0
//   rtpbin name=pigeon_rtp
//   pigeon_rtp.send_rtp_src_0  ! udpsink  -> rtpPort      (RTP to the agent)
//   pigeon_rtp.send_rtcp_src_0 ! udpsink  -> rtcpPort     (sender reports)
//   udpsrc <- rtcpInPort ! pigeon_rtp.recv_rtcp_sink_0     (PLI/FIR from the agent)
//
// rtpbin turns a PLI or FIR addressed to the payloader's SSRC into an upstream force-key-unit
// event, so the encoder emits a keyframe when a viewer joins.

import { badOption } from '../core/errors.ts';
import { encoder } from './encoder-spec.ts';
import { debianPackage } from './gst-packages.ts';
import { source, splitFragment } from './source-spec.ts';
import { FRAME_TAP, RTPBIN, SCAN_TEE, SHARE_TEE, el, elementNames, link, queue } from './gst-tokens.ts';

export { PipelineError, isPipelineError, type PipelineErrorCode } from '../core/errors.ts';
export { encoder, type Encoder, type EncoderOptions } from './encoder-spec.ts';
export { debianPackage } from './gst-packages.ts';
export { DEFAULT_HAILO_FUNCTION, DEFAULT_HAILO_POST_PROCESS, WHOLE_BUFFER_CROP, splitFragment } from './source-spec.ts';

export type SourceKind = 'test' | 'libcamera' | 'v4l2' | 'hailo' | 'shm' | 'custom' | 'stdin';
/** Where Hailo's boxes are drawn: by the page (sent as data), burnt into the picture, or both. */
export type OverlayKind = 'page' | 'picture' | 'both';
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
  /** hailo: hailofilter's config-path (hailo-apps' labels JSON or a post-process config). */
  hailoConfig?: string;
  /** hailo: hailofilter's function-name (default filter_letterbox, as hailo-apps' detection). */
  hailoFunction?: string;
  /** hailo: where the boxes are drawn (default 'page'). */
  overlay?: OverlayKind;
  /** hailo: hailoexportzmq's address, e.g. ipc:///tmp/pigeon-123.zmq (the agent picks one per run). */
  exportAddress?: string;
  /** shm: the user's app's shmsink socket and the format of its frames (default RGB, as hailo-apps'). */
  shm?: { socketPath: string; format?: string };
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
  /** Set when gst-launch prints each frame's PTS (-v and the frame tap): frame-clock.ts reads it. */
  frameTap?: boolean;
}

// Room for a few frames: shmsink drops what a slow or absent reader has not taken.
const SHARE_FRAMES = 4;

function checkInteger(value: number, name: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) badOption(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
}

function validate(options: PipelineOptions): void {
  checkInteger(options.width, 'width', 16, 8192);
  checkInteger(options.height, 'height', 16, 8192);
  // I420 and the H.264 encoders need even sizes; better a clear message than a negotiation error.
  if (options.width % 2 !== 0 || options.height % 2 !== 0) badOption(`width and height must be even, not ${options.width}×${options.height}`);
  checkInteger(options.fps, 'fps', 1, 240);
  checkInteger(options.bitrate, 'bitrate (kbit/s)', 16, 100_000);
  if (!(Number.isFinite(options.keyframeInterval) && options.keyframeInterval > 0 && options.keyframeInterval <= 3600)) {
    badOption(`keyframeInterval must be seconds above 0 and at most 3600, not ${options.keyframeInterval}`);
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
    if (options.scan.width % 8 !== 0) badOption(`scan width must be a multiple of 8, not ${options.scan.width}`);
  }
  if (options.ssrc !== undefined) checkInteger(options.ssrc, 'ssrc', 0, 0xffffffff);
  if (options.source === 'hailo') {
    if (options.hef === undefined || options.hef.trim() === '') badOption('the hailo source needs a .hef network file (hef)');
    const size = options.networkSize ?? { width: 640, height: 640 };
    checkInteger(size.width, 'networkSize.width', 1, 8192);
    checkInteger(size.height, 'networkSize.height', 1, 8192);
    if (options.overlay !== undefined && !['page', 'picture', 'both'].includes(options.overlay)) badOption(`overlay must be page, picture or both, not ${String(options.overlay)}`);
    if (options.overlay !== 'picture' && !options.exportAddress?.trim()) badOption('the hailo source needs an export address (exportAddress) to send its boxes to the agent');
  }
  if (options.source === 'v4l2' && options.device !== undefined && options.device.trim() === '') badOption('device must not be empty');
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
  const pipeline = [...RTPBIN_ELEMENT, ...raw, ...scan, ...share, ...rtpTail(options)];
  // -v makes gst-launch print the frame tap's last-message: one line per frame with its PTS.
  const frameTap = pipeline.includes(`name=${FRAME_TAP}`);
  const args = frameTap ? ['-v', ...pipeline] : pipeline;

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
    ...(frameTap ? { frameTap } : {}),
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
  if (options.sink.trim() === '') badOption('the display sink is empty: e.g. kmssink, fbdevsink or autovideosink');
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
