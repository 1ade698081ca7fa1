import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

/** `image` (any size) shrunk by whole steps to fit and centred on a white 640×480 picture: what a camera sees of a screen held up to it. */
export function onCameraFrame(image: PNG): PNG {
  const frame = new PNG({ width: 640, height: 480 });
  frame.data.fill(255);
  const step = Math.max(1, Math.ceil(Math.max(image.width / 600, image.height / 440)));
  const width = Math.floor(image.width / step);
  const height = Math.floor(image.height / step);
  const left = Math.floor((640 - width) / 2);
  const top = Math.floor((480 - height) / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * step * image.width + x * step) * 4;
      const to = ((top + y) * 640 + left + x) * 4;
      frame.data.set(image.data.subarray(from, from + 4), to);
      frame.data[to + 3] = 255;
    }
  }
  return frame;
}

/**
 * The Pi's camera in the tests, where there is none: a PNG that GStreamer re-reads five times a
 * second (`pipeline`, for the agent's --pipeline), showing white until something is held up to it.
 */
export class StandInCamera {
  private readonly path: string;
  readonly pipeline: string;

  constructor(dir: string) {
    this.path = join(dir, 'agent-camera.png');
    this.pipeline = `multifilesrc location=${this.path} loop=true caps=image/png,framerate=5/1 ! pngdec ! videoconvert ! identity sync=true`;
    const blank = new PNG({ width: 640, height: 480 });
    blank.data.fill(255);
    this.show(blank);
  }

  /** Holds `image` up to the camera; the file is swapped whole, so GStreamer never reads half of it. */
  show(image: PNG): void {
    writeFileSync(`${this.path}.next`, PNG.sync.write(onCameraFrame(image)));
    renameSync(`${this.path}.next`, this.path);
  }
}
