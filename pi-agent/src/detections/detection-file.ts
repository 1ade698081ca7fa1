// --detections PATH: a FIFO, or a regular file that grows. A FIFO is read as lines (one message
// each) and reopened whenever its writer goes away. A regular file is followed from where it ends
// when first seen (what is in it already belongs to frames long gone), polled, read only where it
// grew: as lines, or — when it starts with `[` — as hailoexportfile's one growing JSON array
// (json-array-scanner.ts). A file that shrinks was started over, and is read again from its start.
// A path that does not exist yet is waited for: the producer may start after the agent.
import { EventEmitter } from 'node:events';
import { createReadStream, type ReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { MAX_DETECTION_BYTES } from './detection-message.ts';
import type { DetectionErrorCode } from '../core/errors.ts';
import { JsonArrayScanner, NotAnArrayError, TOO_LARGE } from './json-array-scanner.ts';
import { LineReader, TOO_LONG } from '../input/lines.ts';

export interface MessageInputEvents {
  message: [text: string];
  skipped: [what: string, reason: string, code: DetectionErrorCode];
  /** Connected to its publisher, or listening: messages can come now. */
  ready: [];
}

/** What every detections input is: messages out, each at most MAX_DETECTION_BYTES. */
export interface MessageInput extends EventEmitter<MessageInputEvents> {
  start(): void;
  close(): void;
}

const POLL_MS = 50;
/** Read per poll at most: a file that grew by megabytes is caught up over several polls. */
const READ_BYTES = 256 * 1024;
const TOO_LARGE_REASON = `over ${MAX_DETECTION_BYTES / 1024} KiB; skipped unread`;

export class DetectionFile extends EventEmitter<MessageInputEvents> implements MessageInput {
  private closed = false;
  private fifo: ReadStream | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Where to read next; undefined until the file is first seen. */
  private at: number | undefined;
  private mode: 'lines' | 'array' | undefined;
  private lines = new LineReader(MAX_DETECTION_BYTES);
  private array = new JsonArrayScanner(MAX_DETECTION_BYTES);
  private lastFailure = '';

  constructor(private readonly path: string) {
    super();
  }

  start(): void {
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    this.fifo?.destroy();
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.poll()
        .catch((error: unknown) => this.failed(error))
        .finally(() => this.fifo || this.schedule(POLL_MS));
    }, ms);
  }

  /** A file that went away between two looks is waited for again; any other failure is said once. */
  private failed(error: unknown): void {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    const message = error instanceof Error ? error.message : String(error);
    if (message === this.lastFailure) return;
    this.lastFailure = message;
    this.emit('skipped', this.path, `cannot read it: ${message}`, 'E_DETECTIONS');
  }

  private async poll(): Promise<void> {
    let info;
    try {
      info = await stat(this.path);
    } catch {
      return; // not there (yet, or any more): look again
    }
    if (this.closed) return;
    if (info.isFIFO()) return this.readFifo();
    if (this.at === undefined || info.size < this.at) this.restart(this.at === undefined ? info.size : 0);
    if (info.size > this.at!) await this.read(info.size);
  }

  private restart(from: number): void {
    this.at = from;
    this.mode = undefined;
    this.lines = new LineReader(MAX_DETECTION_BYTES);
    this.array = new JsonArrayScanner(MAX_DETECTION_BYTES);
  }

  private async read(size: number): Promise<void> {
    const file = await open(this.path, 'r');
    try {
      if (this.mode === undefined) {
        this.mode = await modeOf(file);
        // First seen part way through: its last byte was the array's `]` (or is the `,` that took
        // its place), between two frames.
        if (this.mode === 'array' && this.at! > 0) {
          this.array.resume();
          this.at! -= 1;
        }
      }
      const buffer = Buffer.alloc(Math.min(READ_BYTES, size - this.at!));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, this.at!);
      this.take(buffer.subarray(0, bytesRead));
    } finally {
      await file.close();
    }
  }

  private take(chunk: Buffer): void {
    if (this.closed) return;
    if (this.mode === 'lines') {
      this.at! += chunk.length;
      this.lines.push(chunk);
      this.drainLines();
      return;
    }
    try {
      const { objects, next } = this.array.push(chunk, this.at!);
      this.at = next;
      for (const object of objects) {
        if (object === TOO_LARGE) this.emit('skipped', 'a frame in the array', TOO_LARGE_REASON, 'E_TOO_LARGE');
        else this.emit('message', object);
      }
    } catch (error) {
      if (!(error instanceof NotAnArrayError)) throw error;
      this.restart(this.at! + chunk.length);
    }
  }

  private drainLines(): void {
    for (let line = this.lines.next(); line !== undefined && !this.closed; line = this.lines.next()) {
      if (line === TOO_LONG) this.emit('skipped', 'a line', TOO_LARGE_REASON, 'E_TOO_LARGE');
      else if (line.trim() !== '') this.emit('message', line);
    }
  }

  private readFifo(): void {
    if (this.closed) return;
    const stream = createReadStream(this.path);
    this.fifo = stream;
    this.lines = new LineReader(MAX_DETECTION_BYTES);
    stream.on('data', (chunk) => {
      this.lines.push(chunk as Buffer);
      this.drainLines();
    });
    const again = (ms: number): void => {
      if (this.fifo !== stream) return;
      this.fifo = undefined;
      this.schedule(ms);
    };
    stream.on('end', () => again(100));
    stream.on('error', () => again(1000));
  }
}

/** Lines, unless the first thing in the file is a `[`. */
async function modeOf(file: Awaited<ReturnType<typeof open>>): Promise<'lines' | 'array'> {
  const head = Buffer.alloc(64);
  const { bytesRead } = await file.read(head, 0, head.length, 0);
  const first = head.subarray(0, bytesRead).toString('latin1').trimStart()[0];
  return first === '[' ? 'array' : 'lines';
}
