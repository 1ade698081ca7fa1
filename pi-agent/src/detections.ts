// --detections FILE|FIFO: JSON lines from a Hailo post-process or any script, one frame each:
//
//   {"boxes":[{"label":"person","confidence":0.91,"x":0.12,"y":0.2,"w":0.3,"h":0.6}],"rtpTimestamp":1234567}
//
// Coordinates are relative to the frame (0..1); `rtpTimestamp` (optional) is the encoder's RTP
// timestamp of the frame, else the boxes belong to the frame being sent now. A FIFO is reopened
// whenever its writer goes away; a regular file is followed like `tail -f`. A bad line is
// emitted as `skipped` and goes no further.
import { EventEmitter } from 'node:events';
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseAgentMessage, type Box } from '../../src/signal/index.ts';

export interface DetectionsEvents {
  boxes: [boxes: Box[], rtpTimestamp: number | undefined];
  skipped: [line: string, reason: string];
}

export class DetectionsReader extends EventEmitter<DetectionsEvents> {
  private closed = false;
  private fifo: ReadStream | undefined;
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly path: string) {
    super();
  }

  /** Starts following the file, once whoever takes the boxes listens. */
  start(): void {
    if (statSync(this.path).isFIFO()) this.reopen();
    else this.follow();
  }

  close(): void {
    this.closed = true;
    this.fifo?.destroy();
    clearInterval(this.poll);
  }

  private line(line: string): void {
    if (this.closed || line.trim() === '') return;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const message = parseAgentMessage(JSON.stringify({ ...parsed, v: 1, type: 'detections' }));
      if (message.type !== 'detections') throw new Error('not detections');
      this.emit('boxes', message.boxes, message.rtpTimestamp);
    } catch (error) {
      this.emit('skipped', line.slice(0, 200), error instanceof Error ? error.message : String(error));
    }
  }

  private reopen(): void {
    if (this.closed) return;
    const stream = createReadStream(this.path, { encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => this.line(line));
    lines.on('close', () => setTimeout(() => this.reopen(), 100));
    stream.on('error', () => setTimeout(() => this.reopen(), 1000));
    this.fifo = stream;
  }

  /** Follows a regular file from its end: boxes already in it belong to frames long gone. */
  private follow(): void {
    let offset = statSync(this.path).size;
    let rest = '';
    let busy = false;
    this.poll = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        const file = await open(this.path, 'r');
        try {
          const { size } = await file.stat();
          if (size < offset) offset = 0; // truncated: start over
          if (size === offset) return;
          const buffer = Buffer.alloc(size - offset);
          await file.read(buffer, 0, buffer.length, offset);
          offset = size;
          const lines = (rest + buffer.toString('utf8')).split('\n');
          rest = lines.pop() ?? '';
          for (const line of lines) this.line(line);
        } finally {
          await file.close();
          busy = false;
        }
      })().catch(() => (busy = false));
    }, 50);
  }
}
