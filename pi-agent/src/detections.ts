import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseAgentMessage, type Box } from '../../src/signal/index.ts';

/**
 * --detections FILE|FIFO: JSON lines from a Hailo post-process or any script, one frame each:
 *
 *   {"boxes":[{"label":"person","confidence":0.91,"x":0.12,"y":0.2,"w":0.3,"h":0.6}],"rtpTimestamp":1234567}
 *
 * Coordinates are relative to the frame (0..1); `rtpTimestamp` (optional) is the encoder's RTP
 * timestamp of the frame, else the boxes belong to the frame being sent now. A FIFO is reopened
 * whenever its writer goes away; a regular file is followed like `tail -f`. A bad line is
 * reported and skipped.
 */
export interface DetectionsReader {
  close(): void;
}

export function readDetections(
  path: string,
  take: (boxes: Box[], rtpTimestamp: number | undefined) => void,
  bad: (line: string, reason: string) => void,
): DetectionsReader {
  let closed = false;
  const onLine = (line: string): void => {
    if (closed || line.trim() === '') return;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const message = parseAgentMessage(JSON.stringify({ ...parsed, v: 1, type: 'detections' }));
      if (message.type !== 'detections') throw new Error('not detections');
      take(message.boxes, message.rtpTimestamp);
    } catch (error) {
      bad(line.slice(0, 200), error instanceof Error ? error.message : String(error));
    }
  };

  if (statSync(path).isFIFO()) {
    const reopen = (): void => {
      if (closed) return;
      const stream = createReadStream(path, { encoding: 'utf8' });
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', onLine);
      lines.on('close', () => setTimeout(reopen, 100));
      stream.on('error', () => setTimeout(reopen, 1000));
      current = stream;
    };
    let current: ReturnType<typeof createReadStream> | undefined;
    reopen();
    return {
      close() {
        closed = true;
        current?.destroy();
      },
    };
  }

  // Follow from the end: boxes already in the file belong to frames long gone.
  let offset = statSync(path).size;
  let rest = '';
  let busy = false;
  const poll = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const file = await open(path, 'r');
      try {
        const { size } = await file.stat();
        if (size < offset) offset = 0; // truncated: start over
        if (size === offset) return;
        const buffer = Buffer.alloc(size - offset);
        await file.read(buffer, 0, buffer.length, offset);
        offset = size;
        const text = rest + buffer.toString('utf8');
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        lines.forEach(onLine);
      } finally {
        await file.close();
        busy = false;
      }
    })().catch(() => (busy = false));
  }, 50);
  return {
    close() {
      closed = true;
      clearInterval(poll);
    },
  };
}
