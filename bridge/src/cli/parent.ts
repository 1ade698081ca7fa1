import { EventEmitter } from 'node:events';
import { fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';

export interface ParentWatchEvents {
  /** The process that started the bridge is gone, and how that was seen. */
  gone: [why: string];
}

/**
 * Emits `gone` when the process that started the bridge goes, however it went (a crash, kill -9,
 * a Tauri app closing): a bridge nobody can reach any more only holds the Pi's viewer slot.
 * Two signs, either enough: our parent pid changes (the orphan is adopted by init or a
 * subreaper), checked every `everyMs`; and, when stdin is a pipe or socket from the parent (or a stream
 * given in-process), it reaching its end. A terminal or /dev/null on stdin is not watched: neither ends with a parent.
 */
export class ParentWatch extends EventEmitter<ParentWatchEvents> {
  private readonly timer: NodeJS.Timeout;
  private readonly piped: boolean;
  private readonly ended = (): void => void this.emit('gone', 'its standard input closed (the parent process went)');

  constructor(
    private readonly stdin: Readable,
    everyMs = 500,
  ) {
    super();
    const parent = process.ppid;
    this.timer = setInterval(() => {
      if (process.ppid !== parent) this.emit('gone', `its parent process (${parent}) exited`);
    }, everyMs);
    this.timer.unref();
    this.piped = stdin !== process.stdin || isPipe(0);
    if (this.piped) {
      stdin.on('end', this.ended);
      stdin.on('error', this.ended);
      stdin.resume();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.stdin.off('end', this.ended);
    this.stdin.off('error', this.ended);
    if (this.piped) this.stdin.pause();
  }
}

/** Whether file descriptor `fd` is a pipe or socket (what a parent's spawn gives), not a terminal or a file. */
function isPipe(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
