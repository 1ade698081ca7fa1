import { fstatSync, statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { AgentError } from './errors.ts';

/** The process's streams and environment, passed in so tests can run the CLI in-process. */
export interface Io {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  /** Ends a streaming run; the process's SIGINT/SIGTERM when not given. */
  signal?: AbortSignal;
}

export const MAX_INPUT = 1024 * 1024;

/**
 * All of stdin as text, up to 1 MiB (an SDP is a few KiB; anything larger is a mistake). Past
 * that it stops reading at once, so an endless writer (`yes |`) ends too, with E_TOO_LARGE.
 */
export async function readAll(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    if (total > MAX_INPUT) {
      throw new AgentError('E_TOO_LARGE', 'standard input is over 1 MiB, the most "pi-agent blob" reads (an SDP is a few KiB, a code far less)');
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Whether anything can come in on `stdin`: not when it is /dev/null (systemd's StandardInput=null)
 * or not open at all. A stream handed in by a test is taken as open.
 */
export function stdinOpen(stdin: Io['stdin']): boolean {
  if (stdin.isTTY === true) return true;
  if (stdin !== process.stdin) return !stdin.readableEnded;
  try {
    const fd = fstatSync(0);
    return !(fd.isCharacterDevice() && fd.rdev === statSync('/dev/null').rdev);
  } catch {
    return false;
  }
}
