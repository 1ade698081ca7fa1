import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBranchPipeline } from './branch-spec.ts';
import { addressesOf, pageAddress } from './candidates.ts';
import { OfferDisplay } from './display.ts';
import { checkElements } from './elements.ts';
import { refusal } from './errors.ts';
import type { Emit } from './events.ts';
import { readBlobs } from './inputs.ts';
import type { Io } from './io.ts';
import type { StreamOptions } from './options.ts';
import { Camera, type BranchConfig } from './camera.ts';
import { Control } from './control.ts';
import { readDetections } from './detections.ts';
import type { VideoCodec } from './peer.ts';
import type { EncoderKind, ScanFrames, SourceKind } from './pipeline-spec.ts';
import { withPageLink } from './page-link.ts';
import { PageServer } from './page-server.ts';
import { renderer } from './render.ts';
import { LatencySource } from './latency-source.ts';
import { RtpIn } from './rtp-in.ts';
import { QrScanner } from './scanner.ts';
import { Viewers } from './viewers.ts';
import { chooseSource, requireCamera, usesLibcamera } from './source.ts';

/**
 * The QR reader's frames: at most 640 wide (a phone's QR held up close spans a third of that),
 * a multiple of 8 for unpadded GRAY8 rows, four a second.
 */
function scanFrames(options: StreamOptions, source: SourceKind): ScanFrames | undefined {
  const wanted = options.scan ?? (source === 'libcamera' || source === 'v4l2' || source === 'hailo');
  if (!wanted) return undefined;
  const width = Math.max(64, Math.floor(Math.min(options.width, 640) / 8) * 8);
  const height = Math.max(64, Math.round((width * options.height) / options.width / 2) * 2);
  return { width, height, fps: 4 };
}

const ENCODER_OF: Record<VideoCodec, EncoderKind> = { H264: 'x264', VP8: 'vp8' };

/**
 * The codec offered beside the --encoder's, for browsers that cannot play that one, unless
 * --single-codec or its encoder is not installed (then said once, and only one is offered).
 */
async function secondCodec(options: StreamOptions, primary: VideoCodec, env: NodeJS.ProcessEnv, emit: Emit): Promise<VideoCodec | undefined> {
  if (options.singleCodec) return undefined;
  const codec: VideoCodec = primary === 'VP8' ? 'H264' : 'VP8';
  const probe = buildBranchPipeline({ ...options, encoder: ENCODER_OF[codec], socketPath: '-', rtpPort: 1, rtcpPort: 1, rtcpInPort: 1 });
  try {
    await checkElements(probe.elements, { env });
    return codec;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    emit({ type: 'refused', code: 'E_SECOND_CODEC', reason: `offering ${primary} only, not ${codec} as well: ${reason}` });
    return undefined;
  }
}

/**
 * `pi-agent offer` / `pi-agent answer`: wires the pipeline, the RTP link and the viewers
 * together, reads blobs from the person, and runs until SIGINT/SIGTERM (or `signal`).
 */
export async function runStream(mode: 'offer' | 'answer', options: StreamOptions, io: Io, signal: AbortSignal): Promise<number> {
  if (options.servePage === undefined) return stream(mode, options, io, signal);
  const pages = await PageServer.start({ host: pageAddress(options.ips, options.interfaceName), port: options.servePage });
  try {
    return await stream(mode, { ...options, pageUrl: pages.url }, io, signal);
  } finally {
    await pages.close();
  }
}

async function stream(mode: 'offer' | 'answer', options: StreamOptions, io: Io, signal: AbortSignal): Promise<number> {
  const render = renderer(io, options);
  const display =
    mode === 'offer' && options.display ? new OfferDisplay(options.displaySink ?? OfferDisplay.defaultSink(io.env), io.env) : undefined;
  // A display that cannot start ends the run with its error, like the main pipeline.
  let displayFailed: ((error: unknown) => void) | undefined;
  const displayFailure = new Promise<never>((_, reject) => (displayFailed = reject));
  displayFailure.catch(() => undefined);
  const emit: Emit = (raw) => {
    const event = withPageLink(raw, options.pageUrl);
    render(event);
    display?.handle(event, (error) => displayFailed?.(error));
  };
  if (options.servePage !== undefined && options.pageUrl) emit({ type: 'page-served', url: options.pageUrl });
  const { source, why } = await chooseSource(options, io.env);
  const addresses = [...options.ips, ...(options.interfaceName ? addressesOf(options.interfaceName) : [])];

  const primary: VideoCodec = options.encoder === 'vp8' ? 'VP8' : 'H264';
  const secondary = await secondCodec(options, primary, io.env, emit);
  const rtp = await RtpIn.open();
  const branchRtp = secondary ? await RtpIn.open() : undefined;
  const branch: BranchConfig | undefined =
    secondary && branchRtp
      ? {
          codec: secondary,
          encoder: ENCODER_OF[secondary],
          socketPath: join(tmpdir(), `pigeon-${process.pid}-${randomBytes(4).toString('hex')}.frames`),
          rtpPort: branchRtp.rtpPort,
          rtcpPort: branchRtp.rtcpPort,
          rtcpInPort: branchRtp.rtcpInPort,
        }
      : undefined;
  const scan = mode === 'offer' ? scanFrames(options, source) : undefined;
  let camera: Camera | undefined;
  let viewers: Viewers | undefined;
  let control: Control | undefined;
  let stats: NodeJS.Timeout | undefined;
  let input: { close(): void } | undefined;
  let detections: { close(): void } | undefined;
  let latency: LatencySource | undefined;
  /** What viewers are told as the agent goes: a failure unless the stop was asked for. */
  let farewell = 'it failed; see its output on the Pi';
  // The camera gave up (gst-launch can no longer be run): end the run with its error.
  let gaveUp: ((error: Error) => void) | undefined;
  const failed = new Promise<never>((_, reject) => (gaveUp = reject));
  failed.catch(() => undefined);
  try {
    let scanner: QrScanner | undefined;
    camera = new Camera(
      {
        source,
        device: options.device,
        ...(options.pipeline ? { custom: options.pipeline } : {}),
        ...(options.hef ? { hef: options.hef } : {}),
        ...(options.postProcess ? { postProcess: options.postProcess } : {}),
        encoder: options.encoder,
        width: options.width,
        height: options.height,
        fps: options.fps,
        bitrate: options.bitrate,
        keyframeInterval: options.keyframeInterval,
        rtpPort: rtp.rtpPort,
        rtcpPort: rtp.rtcpPort,
        rtcpInPort: rtp.rtcpInPort,
        ...(scan ? { scan } : {}),
      },
      {
        env: io.env,
        signal,
        emit,
        hooks: {
          scan: (chunk) => scanner?.push(chunk),
          started: () => {
            scanner?.reset();
            // Whoever is already watching needs a keyframe from the new encoder.
            setTimeout(() => rtp.requestKeyframe(), 200).unref();
          },
          failed: (error) => gaveUp?.(error),
        },
      },
      branch,
    );
    const { spec } = camera;
    await checkElements(camera.elements, { env: io.env });
    // auto has just found the camera; an asked-for one is checked here, after its elements.
    if (usesLibcamera(source) && options.source !== 'auto') await requireCamera(io.env);
    emit({ type: 'ready', source: `${source} (${why})`, encoder: options.encoder, pipeline: spec.description });

    const cam = camera;
    const hub = new Viewers(
      {
        peer: { codecs: secondary ? [primary, secondary] : [primary], iceServers: options.iceServers.map((urls) => ({ urls })), ipv6: options.ipv6 },
        maxViewers: options.viewers,
        keyframeOnJoin: options.keyframeOnJoin,
        offerTtlMs: options.offerTtl * 1000,
        addresses,
        emit,
        codecsInUse: (codecs) => void cam.useBranch(secondary !== undefined && codecs.has(secondary)),
        channel: {
          open: (id, peer) => control?.open(id, peer),
          message: (id, peer, text) => control?.message(id, peer, text),
        },
      },
      new Map([[primary, rtp], ...(secondary && branchRtp ? ([[secondary, branchRtp]] as const) : [])]),
    );
    viewers = hub;
    control = new Control(
      {
        settings: () => cam.settings(),
        limits: { minBitrate: 100, maxBitrate: options.maxBitrate, maxWidth: options.maxWidth, maxHeight: options.maxHeight, maxFps: options.maxFps },
        stats: () => rtp.stats(),
        requestKeyframe: () => hub.requestKeyframes(),
        applySettings: (next) => cam.applySettings(next),
      },
      hub,
      emit,
    );
    control.start();
    // Started before the pipeline: a source reading stdin only reaches PLAYING once frames come.
    latency = spec.input ? new LatencySource(spec.input.width, spec.input.height, options.fps, () => cam.input) : undefined;
    latency?.start();
    await camera.start();
    const live = control;
    if (options.detections) {
      detections = readDetections(
        options.detections,
        (boxes, rtpTimestamp) => live.detections(boxes, rtpTimestamp),
        (line, reason) => emit({ type: 'refused', code: 'E_DETECTIONS', reason: `detections line skipped (${reason}): ${line}` }),
      );
    }

    if (options.statsInterval > 0) {
      stats = setInterval(() => {
        void (async () => {
          const { fps, kbps } = rtp.stats();
          const list = await Promise.all(hub.joined().map(async ({ id, peer }) => ({ viewer: id, rttMs: (await peer.rttMs()) ?? null })));
          emit({ type: 'stats', fps, kbps, viewers: list });
        })();
      }, options.statsInterval * 1000);
    }

    const partial = (chars: number): void => emit({ type: 'cut-short', chars });
    const refused = (error: unknown): void => emit({ type: 'refused', ...refusal(error) });
    if (mode === 'offer') {
      if (spec.scan) {
        scanner = new QrScanner(
          spec.scan,
          () => hub.waiting(),
          (bytes) => void hub.acceptAnswer(bytes).catch(refused),
          (active) => emit({ type: 'scanning', active }),
        );
      }
      await hub.offerNext();
      input = readBlobs({ stdin: io.stdin, ...(options.answerFile ? { file: options.answerFile } : {}) }, async (text) => void (await hub.acceptAnswer(text)), { partial, refused });
    } else {
      if (!options.json) io.stderr.write('pi-agent: paste the page\'s offer (a "pigeon:" code), then press Enter\n');
      const file = options.offerFile;
      input = readBlobs({ ...(file ? { file } : { stdin: io.stdin }) }, async (text) => void (await hub.answerOffer(text)), { partial, refused });
    }

    await Promise.race([
      failed,
      displayFailure,
      new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    ]);
    farewell = 'it was stopped';
    emit({ type: 'stopped', reason: String(signal.reason ?? 'stopped') });
    return 0;
  } finally {
    input?.close();
    detections?.close();
    latency?.stop();
    control?.stop();
    await control?.bye(farewell).catch(() => undefined);
    clearInterval(stats);
    await viewers?.stop();
    await camera?.stop();
    await display?.stop();
    rtp.close();
    branchRtp?.close();
    // gst-launch removes its socket as it stops, but not when it was killed.
    if (branch) rmSync(branch.socketPath, { force: true });
  }
}
