// Which Hailo the Pi has, asked the way hailo-apps asks (`hailortcli fw-control identify`), and
// the network Raspberry Pi OS's hailo-models package ships for it.
import { PipelineError } from '../core/errors.ts';
import { spawnTied } from '@pigeon/node-common';

export type HailoArch = 'hailo8' | 'hailo8l';

/** hailo-models' YOLOv8s, compiled per device (rpicam-apps' Hailo stages use the same files). */
export const DEFAULT_HEF: Record<HailoArch, string> = {
  hailo8: '/usr/share/hailo-models/yolov8s_h8.hef',
  hailo8l: '/usr/share/hailo-models/yolov8s_h8l.hef',
};

/** "Device Architecture: HAILO8L" (or HAILO8, HAILO8_B0) in hailortcli's answer. */
export function archOf(identify: string): HailoArch | undefined {
  const line = /Device Architecture:\s*(\S+)/i.exec(identify)?.[1]?.toUpperCase();
  if (line === undefined) return undefined;
  if (line.startsWith('HAILO8L')) return 'hailo8l';
  if (line.startsWith('HAILO8')) return 'hailo8';
  return undefined;
}

export interface IdentifyOptions {
  env: NodeJS.ProcessEnv;
  /** Default 'hailortcli' from PATH. */
  hailortcli?: string;
  /** Default 10 s; the one child is killed then. */
  timeoutMs?: number;
}

function refuse(detail: string): PipelineError {
  return new PipelineError(
    'E_NO_HAILO',
    `could not tell which Hailo this is (${detail}). Check it with: hailortcli fw-control identify ` +
      '(Raspberry Pi OS: sudo apt install hailo-all, then reboot), or name the network yourself: --hef /usr/share/hailo-models/yolov8s_h8.hef',
  );
}

/** The device's architecture, or a PipelineError E_NO_HAILO saying what to check. */
export function identifyHailo(opts: IdentifyOptions): Promise<HailoArch> {
  const program = opts.hailortcli ?? 'hailortcli';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawnTied(program, ['fw-control', 'identify'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...opts.env, LC_ALL: 'C' } });
    let output = '';
    const keep = (chunk: Buffer): void => void (output = (output + chunk.toString('utf8')).slice(-8192));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(refuse(`could not run ${program}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const arch = archOf(output);
      if (code === 0 && arch) return resolve(arch);
      const last = output.trim().split('\n').at(-1) ?? '';
      reject(refuse(signal ? `${program} gave no answer within ${timeoutMs} ms` : arch ? `${program} exited ${code}` : `${program} said: ${last || `exit ${code}`}`));
    });
  });
}
