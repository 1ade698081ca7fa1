import { spawnTied } from '@pigeon/node-common';

export type CameraProbe = { found: true } | { found: false; none: boolean; detail: string };

export interface ProbeCameraOptions {
  env: NodeJS.ProcessEnv;
  /** Default 'gst-launch-1.0' from PATH. */
  gstLaunch?: string;
  /** Default 10 s: a Pi's camera takes about a second to open and start. */
  timeoutMs?: number;
}

/**
 * What libcamerasrc says when libcamera has no camera (libcamera's CameraManager is empty):
 * "Could not find any supported camera on this system." (gstlibcamerasrc.cpp, 0.0.x to 0.3).
 */
const NO_CAMERA = /could not find any supported camera|cameras\(\) is empty/i;

/** gst-launch's first ERROR, without the element's path, for saying why there is no camera to use. */
function firstError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  const error = lines.find((l) => l.startsWith('ERROR')) ?? lines.filter((l) => l !== '').at(-1) ?? 'no output';
  return error.replace(/^ERROR: from element \S+: /, 'libcamerasrc: ');
}

/**
 * Whether libcamera has a camera this process may use: libcamerasrc opened for one frame, then
 * closed. The /dev/media* nodes say nothing (a Pi has them for its codec and ISP, camera or not).
 * Only called once libcamerasrc is known to be installed; the one child is killed at the timeout.
 */
export function probeCamera(opts: ProbeCameraOptions): Promise<CameraProbe> {
  const gstLaunch = opts.gstLaunch ?? 'gst-launch-1.0';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const { LANGUAGE: _language, ...inherited } = opts.env;
  return new Promise((resolve) => {
    const child = spawnTied(gstLaunch, ['-q', 'libcamerasrc', '!', 'identity', 'eos-after=1', '!', 'fakesink'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...inherited, LC_ALL: 'C', GST_DEBUG_NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ found: false, none: false, detail: `could not run ${gstLaunch}: ${error.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ found: true });
      else if (timedOut) resolve({ found: false, none: false, detail: `the camera gave no frame within ${timeoutMs} ms` });
      else resolve({ found: false, none: NO_CAMERA.test(stderr), detail: firstError(stderr) });
    });
  });
}
