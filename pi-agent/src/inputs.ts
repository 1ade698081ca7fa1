import { readFile, unwatchFile, watchFile } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { isSignalError } from '../../src/signal/index.ts';

/**
 * Where blobs come in from a person: lines pasted on stdin (a blob broken over several lines is
 * joined until it is whole) and, optionally, a file that a phone or another tool writes.
 * Each complete paste is handed to `take` once; what `take` throws goes to `refused`, except a
 * paste that is only cut short so far, which waits for the next line.
 */
export interface BlobInput {
  close(): void;
}

// A paste longer than this that still reads as cut short is not going to become whole.
const MAX_PENDING = 8192;

export function readBlobs(
  sources: { stdin?: Readable; file?: string },
  take: (text: string) => Promise<void>,
  on: { partial(): void; refused(error: unknown): void },
): BlobInput {
  let pending = '';
  let queue = Promise.resolve();

  const offer = (line: string): void => {
    if (line.trim() === '') return;
    const text = pending === '' ? line : `${pending}\n${line}`;
    queue = queue.then(async () => {
      try {
        await take(text);
        pending = '';
      } catch (error) {
        if (isSignalError(error) && error.code === 'E_TRUNCATED' && text.length < MAX_PENDING) {
          pending = text;
          on.partial();
        } else {
          pending = '';
          on.refused(error);
        }
      }
    });
  };

  const lines = sources.stdin ? createInterface({ input: sources.stdin, crlfDelay: Infinity }) : undefined;
  lines?.on('line', offer);

  let lastFile = '';
  const readIfNew = (): void => {
    if (!sources.file) return;
    readFile(sources.file, 'utf8', (error, content) => {
      if (error || content.trim() === '' || content === lastFile) return;
      lastFile = content;
      queue = queue.then(() => take(content)).catch((refusal: unknown) => on.refused(refusal));
    });
  };
  if (sources.file) {
    watchFile(sources.file, { interval: 500 }, readIfNew);
    // An answer already waiting in the file counts too.
    readIfNew();
  }

  return {
    close() {
      lines?.close();
      if (sources.file) unwatchFile(sources.file, readIfNew);
    },
  };
}
