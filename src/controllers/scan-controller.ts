import jsQR from 'jsqr';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { viewerErrorOf } from '../events/viewer-error.ts';
import { decodeBlob, type BlobType, type DecodedBlob } from '../signal/index.ts';
import { bytesToText } from '../signal/text.ts';

/**
 * - `idle`: camera off
 * - `starting`: asking for the camera
 * - `scanning`: looking for a code in the frames
 * - `denied`, `unavailable`: no camera to use (the message says why)
 */
export type ScanStatus = 'idle' | 'starting' | 'scanning' | 'denied' | 'unavailable';

export interface ScanCallbacks {
  /** A Pigeon code of the expected type was read, as text and decoded; the camera is already stopped. */
  onFound(text: string, blob: DecodedBlob): void;
}

/** How often a frame is looked at: often enough to feel instant, rare enough for a phone's CPU. */
const SCAN_INTERVAL_MS = 120;
/** Frames are scaled down to this width first: a QR filling part of a 1080p frame reads fine at it. */
const SCAN_WIDTH = 720;

/**
 * Owns the camera and the scan loop: getUserMedia → a frame on a canvas → jsqr → decodeBlob.
 * Codes that are not Pigeon's, damaged, or of the wrong type are reported in `message` and
 * scanning goes on, since the next frame may read better or the person may move to the right one.
 */
export class ScanController implements ReactiveController {
  /** Where the camera and the scan loop are (see ScanStatus). */
  status: ScanStatus = 'idle';
  /** What the person should know now (a refused code, a camera problem). */
  message = '';
  /** The cameras to choose from, listed once one was allowed (labels are hidden before). */
  cameras: MediaDeviceInfo[] = [];
  /** The camera in use, or the one asked for next; empty for the browser's choice (the back camera on a phone). */
  deviceId = '';
  /** The live preview, shown by the host. */
  readonly video: HTMLVideoElement;

  private stream: MediaStream | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly canvas: HTMLCanvasElement;
  private run = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly callbacks: ScanCallbacks,
    private readonly expect: () => BlobType,
  ) {
    host.addController(this);
    this.video = document.createElement('video');
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.setAttribute('aria-label', 'Camera preview');
    this.canvas = document.createElement('canvas');
  }

  hostConnected(): void {
    // The camera starts only when the person asks for it.
  }

  hostDisconnected(): void {
    this.stop();
  }

  async start(deviceId = this.deviceId): Promise<void> {
    this.stop();
    const run = ++this.run;
    this.message = '';
    this.set('starting');
    if (!navigator.mediaDevices?.getUserMedia) {
      this.message = 'This browser gives no camera to this page. Paste the code instead.';
      this.set('unavailable');
      return;
    }
    try {
      // Prefer the back camera on a phone; any camera elsewhere.
      const video: MediaTrackConstraints = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: 'environment' } };
      const stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
      if (run !== this.run) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      this.stream = stream;
      this.deviceId = stream.getVideoTracks()[0]?.getSettings().deviceId ?? deviceId;
      this.video.srcObject = stream;
      await this.video.play().catch(() => undefined);
      // Labels are only given once the camera is allowed, so list them now.
      this.cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
      if (run !== this.run) return;
      this.set('scanning');
      this.loop(run);
    } catch (error) {
      if (run !== this.run) return;
      const name = error instanceof DOMException ? error.name : '';
      if (name === 'NotAllowedError' || name === 'SecurityError') {
        this.message = 'Camera permission was denied. Allow the camera for this page in the browser’s site settings, or paste the code instead.';
        this.set('denied');
      } else {
        this.message =
          name === 'NotFoundError' || name === 'OverconstrainedError'
            ? 'No camera was found. Paste the code instead.'
            : `The camera could not be started (${name || String(error)}). It may be in use by another app. Paste the code instead.`;
        this.set('unavailable');
      }
    }
  }

  stop(): void {
    this.run++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = undefined;
    this.video.srcObject = null;
    if (this.status === 'scanning' || this.status === 'starting') this.set('idle');
  }

  private loop(run: number): void {
    this.timer = setTimeout(() => {
      if (run !== this.run) return;
      const blob = this.scanFrame();
      if (blob !== undefined) {
        this.stop();
        this.callbacks.onFound(bytesToText(blob.frame), blob);
        return;
      }
      this.loop(run);
    }, SCAN_INTERVAL_MS);
  }

  /**
   * A photo or screenshot of a code, picked or dropped. Tried at a few sizes: a phone photo is
   * too big to read fast, and a small blurred code reads better when not shrunk.
   */
  async readImage(file: Blob): Promise<void> {
    this.stop();
    this.message = '';
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      this.message = 'This file is not a picture this browser can open. Pick a photo or screenshot of the QR code.';
      this.host.requestUpdate();
      return;
    }
    for (const target of [1000, 600, bitmap.width]) {
      const blob = this.read(bitmap, bitmap.width, bitmap.height, target);
      if (blob !== undefined) {
        bitmap.close();
        this.callbacks.onFound(bytesToText(blob.frame), blob);
        return;
      }
      if (this.message) break;
    }
    bitmap.close();
    this.message ||= 'No QR code was found in this picture. Take it again closer and straighter, or paste the code instead.';
    this.host.requestUpdate();
  }

  /** One frame: the code, decoded, if it is a Pigeon code of the expected type. */
  private scanFrame(): DecodedBlob | undefined {
    const { videoWidth, videoHeight } = this.video;
    if (!videoWidth || !videoHeight) return undefined;
    return this.read(this.video, videoWidth, videoHeight, SCAN_WIDTH);
  }

  private read(source: CanvasImageSource, sourceWidth: number, sourceHeight: number, maxWidth: number): DecodedBlob | undefined {
    const scale = Math.min(1, maxWidth / sourceWidth);
    const width = Math.round(sourceWidth * scale);
    const height = Math.round(sourceHeight * scale);
    this.canvas.width = width;
    this.canvas.height = height;
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return undefined;
    ctx.drawImage(source, 0, 0, width, height);
    const found = jsQR(ctx.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: 'attemptBoth' });
    if (!found) return undefined;
    try {
      // A binary QR holds the frame; one made from the text form holds `pigeon:…`.
      return decodeBlob(found.data.includes('pigeon:') ? found.data : found.binaryData, { expect: this.expect() });
    } catch (error) {
      const { message } = viewerErrorOf(error, 'E_INTERNAL');
      if (message !== this.message) {
        this.message = message;
        this.host.requestUpdate();
      }
      return undefined;
    }
  }

  private set(status: ScanStatus): void {
    this.status = status;
    this.host.requestUpdate();
  }
}
