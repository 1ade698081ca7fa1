// --detections unix:PATH: a unix stream socket the agent listens on, for any local process (the
// Python helper, pi-agent/python/pigeon_detections.py): one message per line, as many writers as
// MAX_WRITERS at once. A writer sends without blocking and drops what the socket will not take;
// the agent reads each connection as fast as it comes, so a writer only ever waits on its own
// socket buffer, never on the agent. A socket file left by an agent that went away is replaced;
// any other file at PATH is refused.
import { EventEmitter } from 'node:events';
import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { MAX_DETECTION_BYTES } from './detection-message.ts';
import type { MessageInput, MessageInputEvents } from './detection-file.ts';
import { DetectionError } from '../core/errors.ts';
import { LineReader, TOO_LONG } from '../input/lines.ts';

const MAX_WRITERS = 8;

export class UnixInput extends EventEmitter<MessageInputEvents> implements MessageInput {
  private server: Server | undefined;
  private readonly writers = new Set<Socket>();

  constructor(readonly path: string) {
    super();
  }

  /** Listens; throws DetectionError (E_DETECTIONS_SPEC) when PATH is something other than a socket. */
  start(): void {
    let existing;
    try {
      existing = lstatSync(this.path);
    } catch {
      existing = undefined;
    }
    if (existing && !existing.isSocket()) throw new DetectionError('E_DETECTIONS_SPEC', `--detections unix:${this.path}: there is a file there that is not a socket`);
    if (existing) unlinkSync(this.path);
    const server = createServer((socket) => this.writer(socket));
    server.maxConnections = MAX_WRITERS;
    server.on('error', (error) => this.emit('skipped', `unix:${this.path}`, `cannot listen: ${error.message}`, 'E_DETECTIONS_SPEC'));
    server.listen(this.path, () => this.emit('ready'));
    this.server = server;
  }

  close(): void {
    this.server?.close();
    for (const socket of this.writers) socket.destroy();
    this.writers.clear();
  }

  private writer(socket: Socket): void {
    this.writers.add(socket);
    const lines = new LineReader(MAX_DETECTION_BYTES);
    socket.on('data', (chunk) => {
      lines.push(chunk);
      for (let line = lines.next(); line !== undefined; line = lines.next()) {
        if (line === TOO_LONG) this.emit('skipped', 'a line', `over ${MAX_DETECTION_BYTES / 1024} KiB; skipped unread`, 'E_TOO_LARGE');
        else if (line.trim() !== '') this.emit('message', line);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.writers.delete(socket));
  }
}
