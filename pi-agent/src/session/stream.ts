// `pi-agent offer` / `pi-agent answer` as one session object. It builds its parts in dependency
// order, subscribes them to each other's events and registers each one's stop as it goes, so a stop
// (or a start that fails half way) undoes exactly what exists, in reverse:
//
//   camera (gst-launch) → RtpIn (loopback UDP) → Viewers → ViewerPeer → browser
//   BlobInput / QrScanner → Viewers → report → present → terminal, --qr-png, --display, --json
//   Viewers' channel events → Control → the data channel
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Camera, type BranchConfig } from '../gst/camera.ts';
import { AddressWatch } from '../webrtc/addresses.ts';
import { addressesOf, pageAddress } from '../viewers/candidates.ts';
import { Control } from '../viewers/control.ts';
import { openDetections } from '../detections/detection-source.ts';
import { OfferDisplay } from '../output/display.ts';
import { checkElements } from '../gst/elements.ts';
import { refusal } from '../core/errors.ts';
import type { Report } from '../core/events.ts';
import { FrameClock } from '../detections/frame-clock.ts';
import { DEFAULT_HEF, identifyHailo } from '../gst/hailo-device.ts';
import { BlobInput, type BlobTaker } from '../input/inputs.ts';
import { stdinOpen, type Io } from '../core/io.ts';
import { LatencySource } from '../gst/latency-source.ts';
import { reportMemoryOnSignal } from './memory-report.ts';
import type { StreamOptions } from '../cli/options.ts';
import { PageServer } from '../output/page-server.ts';
import type { PeerEngine, VideoCodec } from '../webrtc/viewer-peer.ts';
import { chooseEngine } from '../webrtc/engine-choice.ts';
import type { SourceKind } from '../gst/pipeline-spec.ts';
import { present } from '../output/present.ts';
import { renderer } from '../output/render.ts';
import { RtpIn } from '../rtp/rtp-in.ts';
import { QrScanner } from '../input/scanner.ts';
import { chooseSource, requireCamera, usesLibcamera } from '../gst/source.ts';
import { ENCODER_OF, chooseCodecs, scanFrames, type Codecs } from './stream-plan.ts';
import { Teardown } from './teardown.ts';
import { Offers } from '../viewers/offers.ts';
import { FanOut } from '../rtp/fan-out.ts';
import { Viewers, type ViewersOptions } from '../viewers/viewers.ts';

export type StreamMode = 'offer' | 'answer';

/** What viewers are told as the agent goes. */
const STOPPED = 'it was stopped';
const FAILED = 'it failed; see its output on the Pi';

/** Each codec's loopback link from its encoder, and the second encoder's settings when there is one. */
interface Encoders {
  rtp: ReadonlyMap<VideoCodec, RtpIn>;
  primary: RtpIn;
  branch: BranchConfig | undefined;
}

export class StreamSession {
  private constructor(
    private readonly report: Report,
    private readonly teardown: Teardown,
    /** Aborted, with the error as its reason, when a part fails for good (the camera, the display). */
    readonly failure: AbortSignal,
  ) {}

  /** Builds and starts every part; on a failure, stops what was built and throws. `signal` stops the pipelines. */
  static async start(mode: StreamMode, options: StreamOptions, io: Io, signal: AbortSignal): Promise<StreamSession> {
    const teardown = new Teardown();
    const failure = new AbortController();
    try {
      const served = await servePage(options, teardown);
      const settled = served === undefined ? options : { ...options, pageUrl: served };
      const report = output(mode, settled, io, teardown, failure);
      if (served !== undefined) report({ type: 'page-served', url: served });
      await build({ mode, options: settled, io, signal, report, teardown, failure });
      return new StreamSession(report, teardown, failure.signal);
    } catch (error) {
      await teardown.run(FAILED).catch(() => undefined);
      throw error;
    }
  }

  /** A stop that was asked for: said, then every part stopped. */
  async stop(reason: string): Promise<void> {
    this.report({ type: 'stopped', reason });
    await this.teardown.run(STOPPED);
  }

  /** A stop after a part failed: viewers are told so. */
  async abandon(): Promise<void> {
    await this.teardown.run(FAILED);
  }
}

/** Runs a session until `signal` aborts (exit 0) or a part fails (its error is thrown). */
export async function stream(mode: StreamMode, options: StreamOptions, io: Io, signal: AbortSignal): Promise<number> {
  const session = await StreamSession.start(mode, options, io, signal);
  const ended = await firstAborted([signal, session.failure]);
  if (ended === session.failure) {
    await session.abandon();
    throw session.failure.reason;
  }
  await session.stop(String(signal.reason ?? 'stopped'));
  return 0;
}

function firstAborted(signals: AbortSignal[]): Promise<AbortSignal> {
  return new Promise((resolve) => {
    for (const signal of signals) {
      if (signal.aborted) return resolve(signal);
      signal.addEventListener('abort', () => resolve(signal), { once: true });
    }
  });
}

/** --serve-page: the page served read-only; its URL is the one offers link to. */
async function servePage(options: StreamOptions, teardown: Teardown): Promise<string | undefined> {
  if (options.servePage === undefined) return undefined;
  const pages = await PageServer.start({ host: pageAddress(options.ips, options.interfaceName), port: options.servePage });
  teardown.add(() => pages.close());
  return pages.url;
}

/** Where every part's events go: shown once (present.ts), then rendered and, with --display, put on screen. */
function output(mode: StreamMode, options: StreamOptions, io: Io, teardown: Teardown, failure: AbortController): Report {
  const render = renderer(io, options);
  if (!(mode === 'offer' && options.display)) return (event) => render(present(event, options.pageUrl));
  const display = new OfferDisplay(options.displaySink ?? OfferDisplay.defaultSink(io.env), io.env);
  // A display that cannot start ends the run with its error, like the main pipeline.
  display.on('failed', (error) => failure.abort(error));
  teardown.add(() => display.stop());
  return (event) => {
    const shown = present(event, options.pageUrl);
    render(shown);
    display.show(shown);
  };
}

interface Build {
  mode: StreamMode;
  options: StreamOptions;
  io: Io;
  signal: AbortSignal;
  report: Report;
  teardown: Teardown;
  failure: AbortController;
}

async function build(b: Build): Promise<void> {
  const { mode, options, io, report, teardown } = b;
  const { source, why } = await chooseSource(options, io.env);
  const codecs = await chooseCodecs(options, io.env, report);
  const encoders = await openEncoders(codecs, teardown);
  const hailo = source === 'hailo' ? await hailoRun(options, io.env, teardown) : undefined;
  const camera = makeCamera(b, source, encoders, mode === 'offer' ? scanFrames(options, source) : undefined, hailo);
  const frames = new FrameClock({ offsets: source === 'hailo' ? 'pipeline' : 'producer' });
  camera.on('stdout', (line) => frames.line(line));
  await checkElements(camera.elements, { env: io.env });
  // auto has just found the camera; an asked-for one is checked here, after its elements.
  if (usesLibcamera(source) && options.source !== 'auto') await requireCamera(io.env);
  report({ type: 'ready', source: `${source} (${why})`, encoder: options.encoder, pipeline: camera.spec.description });

  const viewers = makeViewers(b, codecs, encoders.rtp, await chooseEngine(io.env));
  viewers.on('codecs', (inUse) => void camera.useBranch(codecs.secondary !== undefined && inUse.has(codecs.secondary)));
  const limits = { minBitrate: 100, maxBitrate: options.maxBitrate, maxWidth: options.maxWidth, maxHeight: options.maxHeight, maxFps: options.maxFps };
  const control = new Control({ camera, encoder: encoders.primary, viewers, limits });
  viewers.on('channel-open', (viewer, peer) => control.channelOpened(viewer, peer));
  viewers.on('channel-message', (viewer, peer, text) => control.received(viewer, peer, text));
  viewers.on('channel-refused', (viewer, peer, error) => control.refusedUnread(viewer, peer, error));
  control.on('report', report);
  control.start();
  teardown.add(reportMemoryOnSignal(report));
  teardown.add(async (farewell) => {
    control.stop();
    await control.bye(farewell).catch(() => undefined);
  });
  const { spec } = camera;
  if (mode === 'offer' && spec.scan) {
    const scanner = new QrScanner(spec.scan, viewers);
    camera.on('scan', (chunk) => scanner.push(chunk));
    camera.on('started', () => scanner.reset());
    scanner.on('code', (bytes) => void viewers.acceptAnswer(bytes).catch((error: unknown) => report({ type: 'refused', ...refusal(error) })));
    scanner.on('looking', (active) => report({ type: 'scanning', active }));
  }
  // Started before the pipeline: a source reading stdin only reaches PLAYING once frames come.
  if (spec.input) {
    const latency = new LatencySource(spec.input.width, spec.input.height, options.fps, () => camera.input);
    latency.start();
    teardown.add(() => latency.stop());
  }
  await camera.start();
  if (options.detections) followDetections(options.detections, control, frames, b);
  // --source hailo's own hailoexportzmq, unless its boxes only go into the picture.
  if (hailo && options.overlay !== 'picture') followDetections(`zmq:${hailo.exportAddress}`, control, frames, b);
  if (options.statsInterval > 0) reportStats(options.statsInterval, encoders.primary, viewers, b);
  await readBlobs(b, viewers, spec.scan !== undefined);
}

/** One loopback link per codec; the second codec's also gets a shared-memory socket for its frames. */
async function openEncoders({ primary, secondary }: Codecs, teardown: Teardown): Promise<Encoders> {
  const first = await RtpIn.open();
  teardown.add(() => first.close());
  if (secondary === undefined) return { rtp: new Map([[primary, first]]), primary: first, branch: undefined };
  const second = await RtpIn.open();
  const socketPath = join(tmpdir(), `pigeon-${process.pid}-${randomBytes(4).toString('hex')}.frames`);
  teardown.add(() => {
    second.close();
    // gst-launch removes its socket as it stops, but not when it was killed.
    rmSync(socketPath, { force: true });
  });
  const { rtpPort, rtcpPort, rtcpInPort } = second;
  const branch: BranchConfig = { codec: secondary, encoder: ENCODER_OF[secondary], socketPath, rtpPort, rtcpPort, rtcpInPort };
  return { rtp: new Map([[primary, first], [secondary, second]]), primary: first, branch };
}

/** The Hailo source's network (named, or hailo-models' for the device found) and its export socket for this run. */
interface HailoRun {
  hef: string;
  exportAddress: string;
}

async function hailoRun(options: StreamOptions, env: NodeJS.ProcessEnv, teardown: Teardown): Promise<HailoRun> {
  const hef = options.hef ?? DEFAULT_HEF[await identifyHailo({ env })];
  // ipc, not tcp://*:5555: nothing but this agent can subscribe, and two agents never collide.
  const socket = join(tmpdir(), `pigeon-${process.pid}-${randomBytes(4).toString('hex')}.zmq`);
  teardown.add(() => rmSync(socket, { force: true }));
  return { hef, exportAddress: `ipc://${socket}` };
}

function makeCamera(
  { options, io, signal, report, teardown, failure }: Build,
  source: SourceKind,
  encoders: Encoders,
  scan: ReturnType<typeof scanFrames>,
  hailo: HailoRun | undefined,
): Camera {
  const { primary } = encoders;
  const camera = new Camera(
    {
      source,
      device: options.device,
      ...(options.pipeline ? { custom: options.pipeline } : {}),
      ...(hailo ? { hef: hailo.hef, exportAddress: hailo.exportAddress } : {}),
      ...(options.postProcess ? { postProcess: options.postProcess } : {}),
      networkSize: options.hailoInput,
      ...(options.hailoConfig ? { hailoConfig: options.hailoConfig } : {}),
      ...(options.hailoFunction ? { hailoFunction: options.hailoFunction } : {}),
      overlay: options.overlay,
      ...(options.shm ? { shm: { socketPath: options.shm, format: options.shmFormat } } : {}),
      encoder: options.encoder,
      width: options.width,
      height: options.height,
      fps: options.fps,
      bitrate: options.bitrate,
      keyframeInterval: options.keyframeInterval,
      rtpPort: primary.rtpPort,
      rtcpPort: primary.rtcpPort,
      rtcpInPort: primary.rtcpInPort,
      ...(scan ? { scan } : {}),
    },
    { env: io.env, signal },
    encoders.branch,
  );
  camera.on('report', report);
  // The camera gave up (gst-launch can no longer be run): the run ends with its error.
  camera.on('failed', (error) => failure.abort(error));
  // Whoever is already watching needs a keyframe from the new encoder.
  camera.on('started', () => setTimeout(() => primary.requestKeyframe(), 200).unref());
  teardown.add(() => camera.stop());
  return camera;
}

function makeViewers({ options, report, teardown }: Build, codecs: Codecs, rtp: ReadonlyMap<VideoCodec, RtpIn>, engine: PeerEngine): Viewers {
  const addresses = [...options.ips, ...(options.interfaceName ? addressesOf(options.interfaceName) : [])];
  const settings: ViewersOptions = {
    peer: {
      codecs: codecs.secondary ? [codecs.primary, codecs.secondary] : [codecs.primary],
      iceServers: options.iceServers.map((urls) => ({ urls })),
      ipv6: options.ipv6,
    },
    engine,
    maxViewers: options.viewers,
    keyframeOnJoin: options.keyframeOnJoin,
    offerTtlMs: options.offerTtl * 1000,
    addresses,
  };
  // The one offer showing, and each codec's RTP to the viewers receiving it: Viewers uses both.
  const offers = new Offers(settings);
  teardown.add(() => offers.stop());
  const fanOut = new FanOut(rtp);
  teardown.add(() => fanOut.close());
  const viewers = new Viewers(settings, offers, fanOut);
  teardown.add(() => viewers.stop());
  offers.on('report', report);
  offers.on('expired', () => void viewers.offerNext());
  fanOut.on('failed', (peer, error) => viewers.sendingFailed(peer, error));
  viewers.on('report', report);
  // A viewer whose path died with an address of ours is shown the way to the new one.
  const watch = new AddressWatch();
  watch.on('changed', (now) => {
    report({ type: 'network-changed', addresses: [...now] });
    viewers.networkChanged();
    void viewers.addressesChanged(now);
  });
  watch.start();
  teardown.add(() => watch.stop());
  return viewers;
}

function followDetections(spec: string, control: Control, frames: FrameClock, { report, teardown }: Build): void {
  const detections = openDetections(spec);
  // Each set on its frame's RTP timestamp, once the frame clock knows it (frame-clock.ts).
  detections.on('set', ({ boxes, frame }) => frames.whenKnown(frame, (rtp) => control.detections(boxes, rtp)));
  detections.on('skipped', (what, reason, code) => report({ type: 'refused', code, reason: `detections skipped (${reason}): ${what}` }));
  detections.start();
  teardown.add(() => detections.close());
}

function reportStats(seconds: number, encoder: RtpIn, viewers: Viewers, { report, teardown }: Build): void {
  const timer = setInterval(() => {
    void (async () => {
      const { fps, kbps } = encoder.stats();
      const list = await Promise.all(viewers.joined().map(async ({ id, peer }) => ({ viewer: id, rttMs: (await peer.rttMs()) ?? null })));
      report({ type: 'stats', fps, kbps, viewers: list });
    })();
  }, seconds * 1000);
  teardown.add(() => clearInterval(timer));
}

/** Offering: the first offer, then answers from stdin (or --answer-file). Answering: the browser's offer. */
async function readBlobs({ mode, options, io, report, teardown }: Build, viewers: Viewers, scanning: boolean): Promise<void> {
  const taker: BlobTaker =
    mode === 'offer' ? { take: (text) => viewers.acceptAnswer(text) } : { take: (text) => viewers.answerOffer(text) };
  const file = mode === 'offer' ? options.answerFile : options.offerFile;
  if (mode === 'offer') {
    report({ type: 'answers-from', stdin: stdinOpen(io.stdin), camera: scanning, ...(file ? { file } : {}) });
    await viewers.offerNext();
  } else if (!options.json && stdinOpen(io.stdin)) io.stderr.write('pi-agent: paste the page\'s offer (a "pigeon:" code), then press Enter\n');
  // Offering, stdin and the file both count; answering, a file replaces stdin.
  const sources = mode === 'offer' ? { stdin: io.stdin, ...(file ? { file } : {}) } : file ? { file } : { stdin: io.stdin };
  const input = new BlobInput(sources, taker);
  input.on('partial', (chars) => report({ type: 'cut-short', chars }));
  input.on('refused', (error) => report({ type: 'refused', ...refusal(error) }));
  input.start();
  teardown.add(() => input.close());
}
