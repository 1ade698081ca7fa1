import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { isSignalError } from '../../src/signal/index.ts';
import { addressesOf } from './candidates.ts';
import { OfferDisplay } from './display.ts';
import { checkElements } from './elements.ts';
import { AgentError } from './errors.ts';
import type { Emit } from './events.ts';
import { readBlobs } from './inputs.ts';
import type { Io } from './io.ts';
import type { StreamOptions } from './options.ts';
import { PeerError } from './peer.ts';
import { Pipeline } from './pipeline.ts';
import { buildPipeline, type ScanFrames, type SourceKind } from './pipeline-spec.ts';
import { renderer } from './render.ts';
import { LatencySource } from './latency-source.ts';
import { RtpIn } from './rtp-in.ts';
import { QrScanner } from './scanner.ts';
import { Viewers } from './viewers.ts';

/**
 * `pi-agent offer` / `pi-agent answer`: wires the pipeline, the RTP link and the viewers
 * together, reads blobs from the person, and runs until SIGINT/SIGTERM (or `signal`).
 */
function chooseSource(options: StreamOptions, env: NodeJS.ProcessEnv): { source: SourceKind; why: string } {
  if (options.source === 'latency') return { source: 'stdin', why: 'latency frames made by the agent' };
  if (options.source !== 'auto') return { source: options.source, why: 'as asked' };
  const hasElement = spawnSync('gst-inspect-1.0', ['--exists', 'libcamerasrc'], { env }).status === 0;
  const hasCamera = existsSync('/dev') && readdirSync('/dev').some((name) => /^media\d+$/.test(name));
  if (hasElement && hasCamera) return { source: 'libcamera', why: 'a libcamera camera was found' };
  return { source: 'test', why: hasElement ? 'no camera found' : 'libcamerasrc is not installed' };
}

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

/** Known failures become a refusal a person can act on; the viewers keep watching. */
function refusal(error: unknown): { code: string; reason: string } {
  if (isSignalError(error)) return { code: error.code, reason: error.message };
  if (error instanceof AgentError || error instanceof PeerError) return { code: error.code, reason: error.message };
  return { code: 'E_WEBRTC', reason: error instanceof Error ? error.message : String(error) };
}

export async function runStream(mode: 'offer' | 'answer', options: StreamOptions, io: Io, signal: AbortSignal): Promise<number> {
  const render = renderer(io, options);
  const display =
    mode === 'offer' && options.display ? new OfferDisplay(options.displaySink ?? OfferDisplay.defaultSink(io.env), io.env) : undefined;
  // A display that cannot start ends the run with its error, like the main pipeline.
  let displayFailed: ((error: unknown) => void) | undefined;
  const displayFailure = new Promise<never>((_, reject) => (displayFailed = reject));
  displayFailure.catch(() => undefined);
  const emit: Emit = (event) => {
    render(event);
    display?.handle(event, (error) => displayFailed?.(error));
  };
  const { source, why } = chooseSource(options, io.env);
  const addresses = [...options.ips, ...(options.interfaceName ? addressesOf(options.interfaceName) : [])];

  const rtp = await RtpIn.open();
  const spec = buildPipeline({
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
    ...(mode === 'offer' && scanFrames(options, source) ? { scan: scanFrames(options, source)! } : {}),
  });
  let pipeline: Pipeline | undefined;
  let viewers: Viewers | undefined;
  let stats: NodeJS.Timeout | undefined;
  let input: { close(): void } | undefined;
  let latency: LatencySource | undefined;
  try {
    await checkElements(spec.elements, { env: io.env });
    emit({ type: 'ready', source: `${source} (${why})`, encoder: options.encoder, pipeline: spec.description });

    pipeline = new Pipeline(spec, { env: io.env, signal });
    viewers = new Viewers(
      {
        peer: { codec: options.encoder === 'vp8' ? 'VP8' : 'H264', iceServers: options.iceServers.map((urls) => ({ urls })), ipv6: options.ipv6 },
        maxViewers: options.viewers,
        keyframeOnJoin: options.keyframeOnJoin,
        offerTtlMs: options.offerTtl * 1000,
        addresses,
        emit,
      },
      rtp,
    );
    const hub = viewers;
    pipeline.on('started', (pid: number) => {
      emit({ type: 'pipeline', state: 'started', pid });
      // Whoever is already watching needs a keyframe from the new encoder.
      setTimeout(() => rtp.requestKeyframe(), 200).unref();
    });
    pipeline.on('exit', (code: number | null, signalName: string | null, stderrTail: string) =>
      emit({ type: 'pipeline', state: 'exited', detail: `exit ${code ?? signalName}${stderrTail ? `: ${stderrTail.trim().split('\n').at(-1)}` : ''}` }),
    );
    pipeline.on('restarting', (_attempt: number, delayMs: number) => emit({ type: 'pipeline', state: 'restarting', delayMs }));
    // The pipeline gave up (gst-launch can no longer be run): end the run with its error.
    let gaveUp: ((error: Error) => void) | undefined;
    const failed = new Promise<never>((_, reject) => (gaveUp = reject));
    failed.catch(() => undefined);
    pipeline.on('error', (error) => gaveUp?.(error));
    const live = pipeline;
    // Started before the pipeline: a source reading stdin only reaches PLAYING once frames come.
    latency = spec.input ? new LatencySource(spec.input.width, spec.input.height, options.fps, () => live.input) : undefined;
    latency?.start();
    await pipeline.start();

    if (options.statsInterval > 0) {
      stats = setInterval(() => {
        void (async () => {
          const { fps, kbps } = rtp.stats();
          const list = await Promise.all(hub.ids().map(async (viewer) => ({ viewer, rttMs: (await hub.peerOf(viewer)?.rttMs()) ?? null })));
          emit({ type: 'stats', fps, kbps, viewers: list });
        })();
      }, options.statsInterval * 1000);
    }

    const partial = (): void => void io.stderr.write('pi-agent: that looks cut short; paste the rest (or the whole code again)\n');
    const refused = (error: unknown): void => emit({ type: 'refused', ...refusal(error) });
    if (mode === 'offer') {
      if (spec.scan) {
        const scanner = new QrScanner(
          spec.scan,
          () => hub.waiting(),
          (bytes) => void hub.acceptAnswer(bytes).catch(refused),
          (active) => emit({ type: 'scanning', active }),
        );
        pipeline.on('scan', (chunk) => scanner.push(chunk));
        pipeline.on('started', () => scanner.reset());
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
    emit({ type: 'stopped', reason: String(signal.reason ?? 'stopped') });
    return 0;
  } finally {
    input?.close();
    latency?.stop();
    clearInterval(stats);
    await viewers?.stop();
    await pipeline?.stop();
    await display?.stop();
    rtp.close();
  }
}
