/**
 * Frames from the bridge decoded with WebCodecs and drawn onto a canvas: for engines with no
 * RTCPeerConnection but a VideoDecoder (WebKitGTK 2.50, Tauri's Linux webview), and Chromium.
 * H.264 comes as Annex B access units (SPS/PPS in front of each IDR); it is decoded in the AVC
 * form with the keyframe's parameter sets as `description` (./avc.ts says why), and the decoder
 * is configured again when they change. VP8 needs no description.
 */
import { toAvc } from './avc.ts';
import { BridgeError } from '../bridge-wire/errors.ts';
import type { BridgeFrame } from '../bridge-wire/frame.ts';
import type { VideoCodecName } from '../bridge-wire/protocol.ts';

export interface DecoderStats {
  framesReceived: number;
  framesDecoded: number;
  /** Frames not decoded: before a keyframe, after a decoder error, or with the decoder too far behind. */
  framesDropped: number;
  /** Decoded frames per second over the last second or so. */
  fps: number;
  width: number;
  height: number;
  codec: VideoCodecName | undefined;
  /** Decoder errors so far, and the last one's words: each costs the frames up to the next keyframe. */
  decodeErrors: number;
  lastError: string | undefined;
  /** How far behind the newest frame received the picture shows (ms), where the player can say (MSE). */
  behindMs?: number | undefined;
}

/** What shows the bridge's frames: a WebCodecs decoder drawing on a canvas, or MSE playing in a <video> (./mse-player.ts). */
export interface FrameSink {
  decode(frame: BridgeFrame): void;
  stats(): DecoderStats;
  close(): void;
}

/** The WebCodecs string for each codec the Pi sends (constrained baseline 3.1, VP8), to ask what this engine decodes. */
export const WEBCODECS_CODEC: Record<VideoCodecName, string> = { H264: 'avc1.42e01f', VP8: 'vp8' };
/** More frames than this waiting in the decoder and the page is not keeping up: skip to a keyframe. */
const MAX_QUEUE = 8;

/** The codecs this engine's WebCodecs decodes, H.264 first; empty without WebCodecs. */
export async function decodableCodecs(): Promise<VideoCodecName[]> {
  if (typeof VideoDecoder === 'undefined') return [];
  const names: VideoCodecName[] = [];
  for (const name of ['H264', 'VP8'] as const) {
    try {
      if ((await VideoDecoder.isConfigSupported({ codec: WEBCODECS_CODEC[name] })).supported) names.push(name);
    } catch {
      // An engine that throws for a codec does not decode it.
    }
  }
  return names;
}

export class CanvasDecoder implements FrameSink {
  private decoder: VideoDecoder | undefined;
  private codec: VideoCodecName | undefined;
  /** The avcC the H.264 decoder was configured with. */
  private description: Uint8Array | undefined;
  private needKeyframe = true;
  private readonly context: CanvasRenderingContext2D;
  private readonly counts = { framesReceived: 0, framesDecoded: 0, framesDropped: 0, decodeErrors: 0 };
  private lastError: string | undefined;
  private size = { width: 0, height: 0 };
  /** When recent frames were drawn (ms), for fps. */
  private recent: number[] = [];

  /**
   * @param canvas where each decoded frame is drawn; it takes the video's size.
   * @param onKeyframeNeeded called when decoding can only go on from a keyframe (ask the bridge for one).
   */
  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onKeyframeNeeded: () => void = () => undefined,
  ) {
    if (typeof VideoDecoder === 'undefined') throw new BridgeError('E_DECODER', 'this browser has no WebCodecs VideoDecoder, so it cannot show the video from the bridge');
    const context = canvas.getContext('2d');
    if (!context) throw new BridgeError('E_DECODER', 'the canvas gave no 2D context to draw the video on');
    this.context = context;
  }

  decode(frame: BridgeFrame): void {
    this.counts.framesReceived++;
    const avc = frame.codec === 'H264' ? toAvc(frame.data) : undefined;
    const config: VideoDecoderConfig = avc?.config ?? { codec: WEBCODECS_CODEC[frame.codec] };
    const changed = frame.codec !== this.codec || this.decoder?.state !== 'configured' || (avc?.config !== undefined && !sameBytes(avc.config.description, this.description));
    if (changed) {
      if (!frame.keyframe || (frame.codec === 'H264' && !avc?.config)) return this.drop();
      this.configure(frame.codec, config);
    }
    const decoder = this.decoder!;
    if (!frame.keyframe && (this.needKeyframe || decoder.decodeQueueSize > MAX_QUEUE)) {
      if (!this.needKeyframe) this.onKeyframeNeeded();
      this.needKeyframe = true;
      return this.drop();
    }
    this.needKeyframe = false;
    decoder.decode(new EncodedVideoChunk({ type: frame.keyframe ? 'key' : 'delta', timestamp: frame.timestampUs, data: avc?.data ?? frame.data }));
  }

  stats(): DecoderStats {
    const now = performance.now();
    this.recent = this.recent.filter((t) => now - t <= 1000);
    return { ...this.counts, fps: this.recent.length, ...this.size, codec: this.codec, lastError: this.lastError };
  }

  close(): void {
    if (this.decoder?.state !== 'closed') this.decoder?.close();
    this.decoder = undefined;
  }

  private configure(codec: VideoCodecName, config: VideoDecoderConfig): void {
    this.close();
    this.codec = codec;
    this.description = config.description instanceof Uint8Array ? config.description : undefined;
    this.decoder = new VideoDecoder({
      output: (videoFrame) => this.draw(videoFrame),
      error: (error) => {
        this.counts.decodeErrors++;
        this.lastError = `${error.name}: ${error.message}`;
        // The decoder is closed now; the next keyframe configures a new one.
        this.decoder = undefined;
        this.needKeyframe = true;
        this.onKeyframeNeeded();
      },
    });
    this.decoder.configure({ ...config, optimizeForLatency: true });
    this.needKeyframe = true;
  }

  private draw(videoFrame: VideoFrame): void {
    const width = videoFrame.displayWidth;
    const height = videoFrame.displayHeight;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.context.drawImage(videoFrame, 0, 0, width, height);
    videoFrame.close();
    this.size = { width, height };
    this.counts.framesDecoded++;
    this.recent.push(performance.now());
    if (this.recent.length > 240) this.recent.splice(0, this.recent.length - 240);
  }

  private drop(): void {
    this.counts.framesDropped++;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}
