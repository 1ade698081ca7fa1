// Where blobs come in from a person: lines pasted on stdin (a blob broken over several lines is
// joined until it is whole) and, optionally, a file that a phone or another tool writes. Each
// complete paste is handed to the taker once, in order; what the taker throws is emitted as
// `refused`, and so is input over the size of any code (once, without reading the rest of it); a
// paste that reads as cut short so far is `partial`.
//
// Nothing here holds more than one code's worth of a line or a file, and lines are handled a few
// milliseconds' worth at a time: whatever is pasted or piped in, the viewers' video goes on.
import { EventEmitter } from 'node:events';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as rest } from 'node:timers/promises';
import { MAX_TEXT_CHARS } from '@pigeon/signal';
import { AgentError } from '../core/errors.ts';
import { LineReader, TOO_LONG } from './lines.ts';
import { PasteJoiner } from './paste.ts';

export interface BlobInputEvents {
  /** The paste so far reads as cut short; it waits for the rest. */
  partial: [chars: number];
  refused: [error: unknown];
}

/**
 * Who takes each whole paste (the viewers' handshake). Given, not subscribed: the next line waits
 * until the last paste is taken, so refusals come in the order of the input and a fast writer
 * waits in its pipe rather than in a queue here.
 */
export interface BlobTaker {
  take(text: string): Promise<unknown>;
}

export interface BlobSources {
  stdin?: Readable;
  file?: string;
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

export class BlobInput extends EventEmitter<BlobInputEvents> {
  private readonly joiner = new PasteJoiner(MAX_TEXT_CHARS);
  private readonly lines = new LineReader(MAX_TEXT_CHARS);
  private closed = false;
  private working = false;
  private lastFile = '';
  private lastTooLargeAt = 0;
  /** Takes run one after another, in the order their input came. */
  private queue: Promise<void> = Promise.resolve();
  private readonly onData = (chunk: Buffer | string): void => {
    this.lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    this.sources.stdin?.pause();
    void this.work();
  };
  private readonly onEnd = (): void => {
    this.lines.end();
    void this.work();
  };
  private readonly onFileChange = (stats: Stats): void => this.readFile(stats);

  constructor(
    private readonly sources: BlobSources,
    private readonly taker: BlobTaker,
  ) {
    super();
  }

  /** Starts reading, once whoever takes the blobs listens. */
  start(): void {
    const { stdin, file } = this.sources;
    stdin?.on('data', this.onData);
    stdin?.on('end', this.onEnd);
    if (file) {
      watchFile(file, { interval: 500 }, this.onFileChange);
      // An answer already waiting in the file counts too.
      this.readFile();
    }
  }

  close(): void {
    this.closed = true;
    const { stdin, file } = this.sources;
    stdin?.off('data', this.onData);
    stdin?.off('end', this.onEnd);
    stdin?.pause();
    if (file) unwatchFile(file, this.onFileChange);
  }

  private hand(text: string): Promise<void> {
    this.queue = this.queue.then(() => this.taker.take(text)).then(
      () => undefined,
      (error: unknown) => void this.emit('refused', error),
    );
    return this.queue;
  }

  private async handle(line: string | typeof TOO_LONG): Promise<void> {
    if (line === TOO_LONG) {
      this.emit('refused', lineTooLong());
      return;
    }
    const paste = this.joiner.add(line);
    if (paste.kind === 'whole') await this.hand(paste.text);
    else if (paste.kind === 'partial') this.emit('partial', paste.chars);
    else if (paste.kind === 'refused') this.emit('refused', paste.error);
  }

  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      let started = performance.now();
      for (let line = this.lines.next(); line !== undefined && !this.closed; line = this.lines.next()) {
        await this.handle(line);
        if (performance.now() - started > SLICE_MS) {
          await rest(REST_MS);
          started = performance.now();
        }
      }
    } finally {
      this.working = false;
    }
    // Read on only once what came is handled: a fast writer waits in its pipe, not in memory here.
    if (!this.closed) this.sources.stdin?.resume();
  }

  private readFile(stats?: Stats): void {
    const file = this.sources.file;
    if (!file) return;
    void readCapped(file, MAX_TEXT_CHARS, stats).then(
      (content) => {
        // A big file still being written is seen growing over several polls: one refusal for it,
        // unless it is over the limit again after a pause (a new file, worth saying again).
        const now = Date.now();
        const stillWriting = content === TOO_LONG && this.lastFile === TOO_LARGE_KEY && now - this.lastTooLargeAt < TOO_LARGE_QUIET_MS;
        if (content === TOO_LONG) this.lastTooLargeAt = now;
        const key = content === TOO_LONG ? TOO_LARGE_KEY : content;
        if (this.closed || stillWriting || (key === this.lastFile && key !== TOO_LARGE_KEY) || (typeof content === 'string' && content.trim() === '')) return;
        this.lastFile = key;
        if (content === TOO_LONG) this.emit('refused', new AgentError('E_TOO_LARGE', `${file} is over ${MAX_TEXT_CHARS / 1024} KiB, the most a code can be; it was not read`));
        else void this.hand(content);
      },
      // Not there (yet), or not readable: a file that appears later is read then.
      () => undefined,
    );
  }
}

const TOO_LARGE_KEY = '\u0000too large';
/** Over-size reads of the answer file closer together than this are one file being written. */
const TOO_LARGE_QUIET_MS = 2000;

/** The file's text, or TOO_LONG without reading past `maxByteLength`. */
async function readCapped(path: string, maxByteLength: number, stats?: Stats): Promise<string | typeof TOO_LONG> {
  if (stats && stats.size > maxByteLength) return TOO_LONG;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(maxByteLength + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > maxByteLength) return TOO_LONG;
    }
    return buffer.subarray(0, filled).toString('utf8');
  } finally {
    await handle.close();
  }
}
