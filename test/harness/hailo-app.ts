// A stand-in for a user's hailo-apps app (hailo-app.py, python3-gi): numbered frames, on a
// shmsink if asked, one detection a frame (`frame N`, N the number in the picture) from its
// callback through Pigeon's helper to a unix socket without ever blocking, and its own frame rate
// once a second, for tests of the helper, `--source shm`, the frame clock and alignment.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./hailo-app.py', import.meta.url));

export interface HailoAppRate {
  fps: number;
  frames: number;
  sent: number;
  dropped: number;
  /** The callback's mean cost per frame in that second, µs (building and sending the set). */
  callbackUs: number;
  /** Its slowest call in that second, µs. */
  worstUs: number;
  at: number;
}

export interface HailoAppOptions {
  /** The agent's `--detections unix:PATH` socket. */
  unix: string;
  /** The app's shmsink socket; none: no Pigeon branch for frames. */
  shm?: string;
  width?: number;
  height?: number;
  fps?: number;
}

export class HailoApp {
  readonly rates: HailoAppRate[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;

  constructor(options: HailoAppOptions) {
    const args = [SCRIPT, '--unix', options.unix, '--width', String(options.width ?? 320), '--height', String(options.height ?? 240), '--fps', String(options.fps ?? 30)];
    if (options.shm) args.push('--shm', options.shm);
    this.child = spawn('/usr/bin/python3', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.ready = new Promise((resolve, reject) => {
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as { event: string; message?: string } & HailoAppRate;
        if (event.event === 'ready') resolve();
        else if (event.event === 'error') reject(new Error(`hailo-app: ${event.message}`));
        else if (event.event === 'fps') this.rates.push({ ...event, at: Date.now() });
      });
      void this.exited.then((code) => reject(new Error(`hailo-app exited ${code}: ${this.stderr.join('\n')}`)));
    });
    // Whoever awaits started() sees the failure; nobody awaiting is no crash.
    this.ready.catch(() => undefined);
  }

  /** Resolves once the app's pipeline plays (rejects if it fails or exits first). */
  started(): Promise<void> {
    return this.ready;
  }

  /** Mean frame rate over the seconds reported between two times (ms since the epoch). */
  fpsBetween(from: number, to: number): number {
    const window = this.rates.filter((r) => r.at > from && r.at <= to);
    return window.length === 0 ? 0 : window.reduce((sum, r) => sum + r.fps, 0) / window.length;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

/**
 * The stand-in app playing, its shmsink and the agent's detections socket in a temporary
 * folder; both removed, and the app stopped, when the test ends.
 */
export async function hailoAppOverShm(t: TestContext, name: string): Promise<{ app: HailoApp; shm: string; unix: string }> {
  const dir = mkdtempSync(join(tmpdir(), `pigeon-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const shm = join(dir, 'app.shm');
  const unix = join(dir, 'detections.sock');
  const app = new HailoApp({ unix, shm });
  t.after(() => app.stop());
  await app.started();
  return { app, shm, unix };
}
