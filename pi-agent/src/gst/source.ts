import { probeCamera } from './camera-probe.ts';
import { hasElement } from './elements.ts';
import type { StreamOptions } from '../cli/options.ts';
import { PipelineError } from '../core/errors.ts';
import type { SourceKind } from './pipeline-spec.ts';

/** Sources that read the Pi's camera through libcamera. */
export function usesLibcamera(source: SourceKind): boolean {
  return source === 'libcamera' || source === 'hailo';
}

/**
 * --source as given, or for `auto` the camera when libcamerasrc is installed and libcamera has a
 * camera, else the test picture; `why` says which and why, for the "ready" line.
 */
export async function chooseSource(options: StreamOptions, env: NodeJS.ProcessEnv): Promise<{ source: SourceKind; why: string }> {
  if (options.source === 'latency') return { source: 'stdin', why: 'latency frames made by the agent' };
  if (options.source !== 'auto') return { source: options.source, why: 'as asked' };
  if (!(await hasElement('libcamerasrc', { env }))) return { source: 'test', why: 'libcamerasrc is not installed: sudo apt install gstreamer1.0-libcamera' };
  const camera = await probeCamera({ env });
  if (camera.found) return { source: 'libcamera', why: 'a libcamera camera was found' };
  return { source: 'test', why: camera.none ? 'no camera found' : `the camera could not be opened: ${camera.detail}` };
}

/**
 * Before a libcamera pipeline starts: no camera at all is refused with what to check, rather
 * than left to gst-launch's "doesn't want to preroll". Any other trouble opening it is left to
 * the pipeline, whose error carries gst-launch's own words.
 */
export async function requireCamera(env: NodeJS.ProcessEnv): Promise<void> {
  const camera = await probeCamera({ env });
  if (camera.found || !camera.none) return;
  throw new PipelineError(
    'E_NO_CAMERA',
    [
      `no camera found: libcamera sees no camera (${camera.detail}).`,
      'Check that the ribbon cable is seated at both ends (power off first), then list the cameras with: rpicam-hello --list-cameras',
      '(libcamera-hello on older systems). On Raspberry Pi OS, camera_auto_detect=1 in /boot/firmware/config.txt finds',
      'official Camera Modules; reboot after changing it. A USB webcam: --source v4l2 --device /dev/video0. No camera: --source test.',
    ].join('\n'),
  );
}
