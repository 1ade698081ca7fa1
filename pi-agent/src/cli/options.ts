import { parseArgs } from 'node:util';
import { AgentError } from '../core/errors.ts';

/** Options of `pi-agent offer` and `pi-agent answer`, with their defaults. */
export interface StreamOptions {
  source: 'auto' | 'test' | 'libcamera' | 'v4l2' | 'hailo' | 'shm' | 'custom' | 'latency';
  device: string;
  pipeline: string | undefined;
  /** hailo: the network; undefined = hailo-models' YOLOv8s for the device found (hailo-device.ts). */
  hef: string | undefined;
  postProcess: string | undefined;
  /** hailo: the network's input size (--hailo-input WxH). */
  hailoInput: { width: number; height: number };
  /** hailo: hailofilter's config-path (--labels or --hailo-config). */
  hailoConfig: string | undefined;
  hailoFunction: string | undefined;
  overlay: 'page' | 'picture' | 'both';
  /** shm: the user's app's shmsink socket (--shm PATH) and its frames' format. */
  shm: string | undefined;
  shmFormat: string;
  encoder: 'x264' | 'v4l2h264' | 'vp8';
  /** Offer only the encoder's codec, not H.264 and VP8 both. */
  singleCodec: boolean;
  width: number;
  height: number;
  fps: number;
  bitrate: number;
  keyframeInterval: number;
  maxBitrate: number;
  maxWidth: number;
  maxHeight: number;
  maxFps: number;
  detections: string | undefined;
  viewers: number;
  keyframeOnJoin: boolean;
  offerTtl: number;
  iceServers: string[];
  interfaceName: string | undefined;
  ips: string[];
  ipv6: boolean;
  /** Read answer QR codes with the camera: undefined = yes for camera sources, no for test/custom. */
  scan: boolean | undefined;
  answerFile: string | undefined;
  offerFile: string | undefined;
  qrPng: string | undefined;
  /** The page's address: each offer QR holds it with the offer in its fragment. */
  pageUrl: string | undefined;
  /** --serve-page: the port to serve the page on (0: any free one), or undefined for no server. */
  servePage: number | undefined;
  clear: boolean;
  display: boolean;
  displaySink: string | undefined;
  json: boolean;
  statsInterval: number;
}

export const STREAM_HELP = `Usage: pi-agent [offer] [options]      the Pi offers; a browser answers (default)
       pi-agent answer [options]       a browser offered; the Pi answers

Streams a camera to browsers over WebRTC. The offer is printed as a QR code and a
"pigeon:" text blob; paste the page's answer here (or point --answer-file at it).
Each offer is for one viewer and expires; after a viewer joins, a new offer is shown.

Source:
  --source S            auto (default: libcamera if a camera is found, else test),
                        test, libcamera, v4l2, hailo, shm, custom, or latency (frames carrying
                        a QR code of the clock, to measure glass-to-glass latency)
  --device PATH         v4l2 device (default /dev/video0)
  --pipeline '...'      custom: your own GStreamer source fragment ending in raw video
  --hef PATH            hailo: the network (.hef) to run (default: hailo-models' YOLOv8s
                        for the device hailortcli finds: yolov8s_h8.hef on a Hailo-8,
                        yolov8s_h8l.hef on a Hailo-8L)
  --hailo-input WxH     hailo: the network's input size (default 640x640, YOLOv8's);
                        frames are letterboxed to it, boxes mapped back to the frame
  --labels FILE         hailo: hailo-apps' labels JSON (hailofilter config-path)
  --hailo-config FILE   hailo: another post-process config-path (not with --labels)
  --hailo-function NAME hailo: post-process function-name (default filter_letterbox)
  --post-process PATH   hailo: hailofilter post-process .so (default: Hailo's YOLO one)
  --overlay WHERE       hailo: boxes drawn by the page (default: page; sharp, and free
                        for the Pi), burnt into the picture (picture), or both
  --shm PATH            shm: your own app's frames from its shmsink socket (docs/hailo.md);
                        --width/--height/--fps must be the app's
  --shm-format FMT      shm: the app's frame format (default RGB, as hailo-apps')

Encoding:
  --encoder E           the preferred codec's encoder: x264 (default; software, Pi 5),
                        v4l2h264 (Pi 4 hardware) or vp8. Offers carry H.264 and VP8 both;
                        a viewer whose browser cannot play this one (Firefox has no H.264
                        offline) gets the other from a second encoder, which runs only
                        while such a viewer watches
  --single-codec        offer only the --encoder's codec (no second encoder)
  --width N --height N --fps N   (default 640 x 480 at 30)
  --bitrate KBPS        target bitrate in kbit/s (default 2000)
  --keyframe-interval S seconds between periodic keyframes (default 2; a joining
                        viewer asks for one at once anyway)
  --no-keyframe-on-join do not pass viewers' keyframe requests to the encoder (only
                        to measure what that request saves)
  --max-bitrate KBPS    the most a viewer may ask for over the data channel (default
                        4000, or --bitrate if higher; the least is 100)
  --max-width N --max-height N --max-fps N   likewise (default: --width, --height, --fps)

Detections:
  --detections SPEC     boxes sent to every viewer and drawn over the video, from:
                        PATH            a FIFO or a file that grows: JSON lines, or the
                                        JSON array hailoexportfile writes
                        zmq:ENDPOINT    a ZeroMQ publisher, e.g. hailoexportzmq's
                                        zmq:tcp://127.0.0.1:5555 or zmq:ipc:///run/x
                        unix:PATH       a unix socket the agent listens on, a line per
                                        message (pi-agent/python/pigeon_detections.py)
                        Each message Pigeon's own or Hailo's HailoROI JSON; see
                        docs/detections.md

Viewers and signaling:
  --viewers N           most viewers at once, fed by one encoder per codec (default 4)
  --offer-ttl S         seconds an offer (answering: the agent's answer) stays valid
                        while a person carries it over (default 600)
  --scan / --no-scan    read the page's answer QR with the camera while an offer waits
                        (default: on for libcamera, v4l2, hailo and shm; off for test/custom)
  --answer-file PATH    read answers from this file as well as stdin (checked every 0.5 s)
  --offer-file PATH     answer: read the browser's offer from this file instead of stdin
  --qr-png FILE         also write the current offer's QR code as a PNG
  --page-url URL        where the Pigeon page is (e.g. https://example.org/pigeon/): each
                        offer QR becomes URL#P:<offer>, which a phone's camera app opens;
                        the offer stays in the fragment, so it never reaches that server
  --serve-page [PORT]   serve the page itself, read-only over HTTP, on the offered address
                        (port 8080 unless given) and use it as --page-url: a phone needs no
                        internet and no file. The agent's one listening port, and only then
  --clear               clear the screen before each new QR (for a Pi's own display)
  --display             show the offer QR full-screen on the Pi's display through GStreamer
                        (for when no terminal is attached)
  --display-sink SINK   the video sink for --display (default kmssink, or autovideosink
                        on a desktop)
  --json                one JSON event per line on stdout instead of QR codes and status

Network:
  --ip ADDR             offer only this host address (repeatable)
  --interface NAME      offer only the addresses of this interface (e.g. wlan0)
  --ipv6                offer IPv6 host addresses too (larger QR)
  --ice-server URL      a STUN/TURN server (repeatable; default none: no traffic leaves
                        the local network)

  --stats-interval S    seconds between status lines (default 5; 0 for none)
  --config FILE         read options from FILE (key = value, the flags without "--";
                        docs/boot.md) before the ones given here, which win
  -h, --help            this help
`;

function number(value: string | undefined, fallback: number, flag: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new AgentError('E_USAGE', `${flag} must be a number from ${min} to ${max}, not "${value}"`);
  return n;
}

function oneOf<T extends string>(value: string | undefined, fallback: T, allowed: readonly T[], flag: string): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new AgentError('E_USAGE', `${flag} must be one of ${allowed.join(', ')}, not "${value}"`);
}

/** WxH, e.g. 640x640. */
function size(value: string | undefined, fallback: { width: number; height: number }, flag: string): { width: number; height: number } {
  if (value === undefined) return fallback;
  const match = /^(\d{1,4})[x×](\d{1,4})$/.exec(value.trim());
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  if (!match || width < 16 || height < 16) throw new AgentError('E_USAGE', `${flag} must be WIDTHxHEIGHT such as 640x640, not "${value}"`);
  return { width, height };
}

/** `--serve-page` may stand alone or take a port: alone, it means the default port. */
function withOptionalPort(args: string[]): string[] {
  return args.flatMap((arg, i) => (arg === '--serve-page' && !/^\d+$/.test(args[i + 1] ?? '') ? ['--serve-page=8080'] : [arg]));
}

function pageUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new AgentError('E_USAGE', `--page-url must be a whole address such as http://192.168.1.20:8080/, not "${value}"`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AgentError('E_USAGE', `--page-url must be an http: or https: address, not "${value}"`);
  return value;
}

/** Every flag of `pi-agent offer` / `answer`; numbers are read as strings and checked below. */
export const STREAM_FLAGS = {
  source: { type: 'string' },
  device: { type: 'string' },
  pipeline: { type: 'string' },
  hef: { type: 'string' },
  'post-process': { type: 'string' },
  'hailo-input': { type: 'string' },
  labels: { type: 'string' },
  'hailo-config': { type: 'string' },
  'hailo-function': { type: 'string' },
  overlay: { type: 'string' },
  shm: { type: 'string' },
  'shm-format': { type: 'string' },
  encoder: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  fps: { type: 'string' },
  bitrate: { type: 'string' },
  'keyframe-interval': { type: 'string' },
  'max-bitrate': { type: 'string' },
  'max-width': { type: 'string' },
  'max-height': { type: 'string' },
  'max-fps': { type: 'string' },
  detections: { type: 'string' },
  viewers: { type: 'string' },
  'no-keyframe-on-join': { type: 'boolean', default: false },
  'single-codec': { type: 'boolean', default: false },
  'offer-ttl': { type: 'string' },
  'ice-server': { type: 'string', multiple: true },
  interface: { type: 'string' },
  ip: { type: 'string', multiple: true },
  ipv6: { type: 'boolean', default: false },
  scan: { type: 'boolean' },
  'no-scan': { type: 'boolean' },
  'answer-file': { type: 'string' },
  'offer-file': { type: 'string' },
  'qr-png': { type: 'string' },
  'page-url': { type: 'string' },
  'serve-page': { type: 'string' },
  clear: { type: 'boolean', default: false },
  display: { type: 'boolean', default: false },
  'display-sink': { type: 'string' },
  json: { type: 'boolean', default: false },
  'stats-interval': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function parseStreamOptions(args: string[]): StreamOptions & { help: boolean } {
  const { values } = parseArgs({
    args: withOptionalPort(args),
    options: STREAM_FLAGS,
    strict: true,
    allowPositionals: false,
  });
  const source = oneOf(values.source, values.pipeline ? 'custom' : values.shm ? 'shm' : 'auto', ['auto', 'test', 'libcamera', 'v4l2', 'hailo', 'shm', 'custom', 'latency'], '--source');
  if (source === 'custom' && !values.pipeline) throw new AgentError('E_USAGE', '--source custom needs --pipeline "<your source fragment>"');
  if (source === 'shm' && !values.shm) throw new AgentError('E_USAGE', "--source shm needs --shm PATH (the socket-path of your app's shmsink)");
  if (values.labels !== undefined && values['hailo-config'] !== undefined) {
    throw new AgentError('E_USAGE', '--labels and --hailo-config both set hailofilter\'s config-path: give one');
  }
  const shmFormat = values['shm-format'] ?? 'RGB';
  if (!/^[A-Za-z0-9_]+$/.test(shmFormat)) throw new AgentError('E_USAGE', `--shm-format must be a GStreamer video format such as RGB or I420, not "${shmFormat}"`);
  const width = number(values.width, 640, '--width', 16, 4096);
  const height = number(values.height, 480, '--height', 16, 4096);
  const fps = number(values.fps, 30, '--fps', 1, 120);
  const bitrate = number(values.bitrate, 2000, '--bitrate', 50, 50000);
  return {
    help: values.help,
    source,
    device: values.device ?? '/dev/video0',
    pipeline: values.pipeline,
    hef: values.hef,
    postProcess: values['post-process'],
    hailoInput: size(values['hailo-input'], { width: 640, height: 640 }, '--hailo-input'),
    hailoConfig: values.labels ?? values['hailo-config'],
    hailoFunction: values['hailo-function'],
    overlay: oneOf(values.overlay, 'page', ['page', 'picture', 'both'], '--overlay'),
    shm: values.shm,
    shmFormat,
    encoder: oneOf(values.encoder, 'x264', ['x264', 'v4l2h264', 'vp8'], '--encoder'),
    singleCodec: values['single-codec'],
    width,
    height,
    fps,
    bitrate,
    maxBitrate: number(values['max-bitrate'], Math.max(4000, bitrate), '--max-bitrate', 100, 50000),
    maxWidth: number(values['max-width'], width, '--max-width', 16, 4096),
    maxHeight: number(values['max-height'], height, '--max-height', 16, 4096),
    maxFps: number(values['max-fps'], fps, '--max-fps', 1, 120),
    detections: values.detections,
    keyframeInterval: number(values['keyframe-interval'], 2, '--keyframe-interval', 0.1, 60),
    viewers: number(values.viewers, 4, '--viewers', 1, 32),
    keyframeOnJoin: !values['no-keyframe-on-join'],
    offerTtl: number(values['offer-ttl'], 600, '--offer-ttl', 1, 86400),
    iceServers: values['ice-server'] ?? [],
    interfaceName: values.interface,
    ips: values.ip ?? [],
    ipv6: values.ipv6,
    scan: values['no-scan'] ? false : values.scan,
    answerFile: values['answer-file'],
    offerFile: values['offer-file'],
    qrPng: values['qr-png'],
    pageUrl: pageUrl(values['page-url']),
    servePage: values['serve-page'] === undefined ? undefined : number(values['serve-page'], 8080, '--serve-page', 0, 65535),
    clear: values.clear,
    display: values.display || values['display-sink'] !== undefined,
    displaySink: values['display-sink'],
    json: values.json,
    statsInterval: number(values['stats-interval'], 5, '--stats-interval', 0, 3600),
  };
}
