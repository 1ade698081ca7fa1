import { fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * Calls `gone` when the process that started the bridge goes, however it went (a crash, kill -9,
 * a Tauri app closing): a bridge nobody can reach any more only holds the Pi's viewer slot.
 * Two signs, either enough: our parent pid changes (the orphan is adopted by init or a
 * subreaper), checked every `everyMs`; and, when stdin is a pipe or socket from the parent (or a stream
 * given in-process), it reaching its end. A terminal or /dev/null on stdin is not watched: neither ends with a parent.
 */
export function watchParent(stdin: Readable, gone: (why: string) => void, everyMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) gone(`its parent process (${parent}) exited`);
  }, everyMs);
  timer.unref();
  const piped = stdin !== process.stdin || isPipe(0);
  const ended = (): void => gone('its standard input closed (the parent process went)');
  if (piped) {
    stdin.on('end', ended);
    stdin.on('error', ended);
    stdin.resume();
  }
  return () => {
    clearInterval(timer);
    stdin.off('end', ended);
    stdin.off('error', ended);
    if (piped) stdin.pause();
  };
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
