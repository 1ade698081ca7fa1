import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as rest } from 'node:timers/promises';
import { MAX_TEXT_CHARS } from '../../src/signal/index.ts';
import { AgentError } from './errors.ts';
import { LineReader, TOO_LONG } from './lines.ts';
import { PasteJoiner } from './paste.ts';

/**
 * Where blobs come in from a person: lines pasted on stdin (a blob broken over several lines is
 * joined until it is whole) and, optionally, a file that a phone or another tool writes.
 * Each complete paste is handed to `take` once; what `take` throws goes to `refused`, and so does
 * input over the size of any code (once, without reading the rest of it).
 *
 * Nothing here holds more than one code's worth of a line or a file, and lines are handled a few
 * milliseconds' worth at a time: whatever is pasted or piped in, the viewers' video goes on.
 */
export interface BlobInput {
  close(): void;
}

export interface BlobInputEvents {
  /** The paste so far reads as cut short; it waits for the rest. */
  partial(chars: number): void;
  refused(error: unknown): void;
}

/**
 * Input is handled this long at a time, then rests three times as long: RTP keeps flowing to
 * the viewers between slices, and a flood of input (a script piping a file) gets at most a
 * quarter of a core, so the encoder and the viewers keep theirs on a small, busy Pi. A person
 * pasting never notices: one paste is one slice.
 */
const SLICE_MS = 2;
const REST_MS = 6;

function lineTooLong(): AgentError {
  return new AgentError('E_TOO_LARGE', `a line over ${MAX_TEXT_CHARS / 1024} KiB, the most a code can be; the rest of it was skipped unread`);
}

export function readBlobs(sources: { stdin?: Readable; file?: string }, take: (text: string) => Promise<void>, on: BlobInputEvents): BlobInput {
  const { stdin, file } = sources;
  const joiner = new PasteJoiner(MAX_TEXT_CHARS);
  const lines = new LineReader(MAX_TEXT_CHARS);
  let closed = false;
  let working = false;
  // Takes run one after another, in the order their input came.
  let queue = Promise.resolve();
  const hand = (text: string): Promise<void> => (queue = queue.then(() => take(text)).catch((error: unknown) => on.refused(error)));

  const handle = async (line: string | typeof TOO_LONG): Promise<void> => {
    if (line === TOO_LONG) return on.refused(lineTooLong());
    const paste = joiner.add(line);
    if (paste.kind === 'whole') await hand(paste.text);
    else if (paste.kind === 'partial') on.partial(paste.chars);
    else if (paste.kind === 'refused') on.refused(paste.error);
  };

  const work = async (): Promise<void> => {
    if (working) return;
    working = true;
    try {
      let started = performance.now();
      for (let line = lines.next(); line !== undefined && !closed; line = lines.next()) {
        await handle(line);
        if (performance.now() - started > SLICE_MS) {
          await rest(REST_MS);
          started = performance.now();
        }
      }
    } finally {
      working = false;
    }
    // Read on only once what came is handled: a fast writer waits in its pipe, not in memory here.
    if (!closed) stdin?.resume();
  };

  const onData = (chunk: Buffer | string): void => {
    lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    stdin?.pause();
    void work();
  };
  const onEnd = (): void => {
    lines.end();
    void work();
  };
  stdin?.on('data', onData);
  stdin?.on('end', onEnd);

  let lastFile = '';
  const readIfNew = (stats?: Stats): void => {
    if (!file) return;
    void readCapped(file, MAX_TEXT_CHARS, stats).then(
      (content) => {
        const key = content === TOO_LONG ? `too large: ${stats?.mtimeMs ?? ''} ${stats?.size ?? ''}` : content;
        if (closed || key === lastFile || (typeof content === 'string' && content.trim() === '')) return;
        lastFile = key;
        if (content === TOO_LONG) on.refused(new AgentError('E_TOO_LARGE', `${file} is over ${MAX_TEXT_CHARS / 1024} KiB, the most a code can be; it was not read`));
        else void hand(content);
      },
      // Not there (yet), or not readable: a file that appears later is read then.
      () => undefined,
    );
  };
  const changed = (stats: Stats): void => readIfNew(stats);
  if (file) {
    watchFile(file, { interval: 500 }, changed);
    // An answer already waiting in the file counts too.
    readIfNew();
  }

  return {
    close() {
      closed = true;
      stdin?.off('data', onData);
      stdin?.off('end', onEnd);
      stdin?.pause();
      if (file) unwatchFile(file, changed);
    },
  };
}

/** The file's text, or TOO_LONG without reading past `maxBytes`. */
async function readCapped(path: string, maxBytes: number, stats?: Stats): Promise<string | typeof TOO_LONG> {
  if (stats && stats.size > maxBytes) return TOO_LONG;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > maxBytes) return TOO_LONG;
    }
    return buffer.subarray(0, filled).toString('utf8');
  } finally {
    await handle.close();
  }
}
