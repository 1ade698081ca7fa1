// --detections zmq:ENDPOINT: a ZeroMQ SUB socket connected to a PUB (TAPPAS' hailoexportzmq binds
// one, `tcp://*:5555` by default), spoken in ZMTP 3.0 with the NULL mechanism (rfc.zeromq.org/spec/23)
// — the few parts of it a subscriber needs, so the agent takes no native addon (see docs/detections.md).
//
//   greeting  10-byte signature, version 3.0, mechanism "NULL", as-server 0, filler (64 bytes each way)
//   READY     a command frame naming our Socket-Type "SUB"; the publisher answers with its own
//   subscribe a message frame 0x01 + topic (empty: everything), the 3.0 way
//   frames    flags (MORE 1, LONG 2, COMMAND 4), a 1- or 8-byte size, the body
//
// Each whole message (its last frame, for a topic + body publisher) is a `message`; a frame over
// the cap is skipped as it streams past, never held. The connection is made again whenever it
// drops or cannot be made — a publisher that restarts is picked up again — every RETRY_MS.
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { MAX_DETECTION_BYTES } from './detection-message.ts';
import type { MessageInput, MessageInputEvents } from './detection-file.ts';
import { DetectionError } from '../core/errors.ts';

const RETRY_MS = 500;
const GREETING_BYTES = 64;
const MORE = 1;
const LONG = 2;
const COMMAND = 4;

export type ZmqEndpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'ipc'; path: string };

/** `tcp://HOST:PORT` (a publisher's `*` is this machine) or `ipc://PATH`. Throws DetectionError. */
export function parseZmqEndpoint(endpoint: string): ZmqEndpoint {
  const ipc = /^ipc:\/\/(.+)$/.exec(endpoint);
  if (ipc) return { kind: 'ipc', path: ipc[1]! };
  const tcp = /^tcp:\/\/(\*|\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})$/.exec(endpoint);
  const port = Number(tcp?.[2]);
  if (!tcp || port < 1 || port > 65535) throw new DetectionError('E_DETECTIONS_SPEC', `zmq endpoint "${endpoint}": give tcp://HOST:PORT or ipc://PATH, as the publisher binds it`);
  const host = tcp[1] === '*' ? '127.0.0.1' : tcp[1]!.replace(/^\[|\]$/g, '');
  return { kind: 'tcp', host, port };
}

function greeting(): Buffer {
  const bytes = Buffer.alloc(GREETING_BYTES);
  bytes[0] = 0xff;
  bytes[9] = 0x7f;
  bytes[10] = 3; // major
  bytes[11] = 0; // minor: 3.0, whose SUB subscribes with a message
  bytes.write('NULL', 12, 'ascii');
  return bytes;
}

function frame(flags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([flags, body.length]), body]);
}

function ready(): Buffer {
  const name = Buffer.from('Socket-Type', 'ascii');
  const value = Buffer.from('SUB', 'ascii');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  return frame(COMMAND, Buffer.concat([Buffer.from([5]), Buffer.from('READY', 'ascii'), Buffer.from([name.length]), name, length, value]));
}

export class ZmqSubscriber extends EventEmitter<MessageInputEvents> implements MessageInput {
  private closed = false;
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly endpoint: ZmqEndpoint;

  constructor(readonly address: string) {
    super();
    this.endpoint = parseZmqEndpoint(address);
  }

  start(): void {
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.destroy();
  }

  private connect(): void {
    if (this.closed) return;
    const socket = this.endpoint.kind === 'tcp' ? connect(this.endpoint.port, this.endpoint.host) : connect(this.endpoint.path);
    this.socket = socket;
    this.parts = [];
    const reader = new FrameReader((flags, body) => this.frame(flags, body), (what) => this.emit('skipped', what, `over ${MAX_DETECTION_BYTES / 1024} KiB; skipped unread`, 'E_TOO_LARGE'));
    let greeted = false;
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(greeting()));
    socket.on('data', (chunk) => {
      if (!reader.push(chunk, greeted ? 0 : GREETING_BYTES)) return;
      if (!greeted) {
        greeted = true;
        const peer = reader.greeting!;
        if (peer[0] !== 0xff || peer[9] !== 0x7f || peer[10]! < 3) return this.fail(socket, 'the peer is not a ZMTP 3 socket');
        socket.write(ready());
        socket.write(frame(0, Buffer.from([1]))); // subscribe to every topic
        this.emit('ready');
        reader.drain();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (!this.closed) this.timer = setTimeout(() => this.connect(), RETRY_MS);
    });
  }

  private fail(socket: Socket, reason: string): void {
    this.emit('skipped', `zmq ${this.address}`, reason, 'E_DETECTIONS');
    socket.destroy();
  }

  /** The frames of the message coming in; `undefined` for one skipped as too large. */
  private parts: (Buffer | undefined)[] = [];
  private frame(flags: number, body: Buffer | undefined): void {
    if (flags & COMMAND) return; // READY, and nothing else we need: 3.0 has no heartbeats
    this.parts.push(body);
    if (flags & MORE) return;
    const last = this.parts.at(-1);
    this.parts = [];
    if (last) this.emit('message', last.toString('utf8'));
  }
}

/** ZMTP frames out of a byte stream; `undefined` body for a frame over the cap, skipped unheld. */
class FrameReader {
  greeting: Buffer | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private skip = 0;
  private skipFlags = 0;

  constructor(
    private readonly onFrame: (flags: number, body: Buffer | undefined) => void,
    private readonly onTooLarge: (what: string) => void,
  ) {}

  /** Takes bytes; false while the greeting (when expected) is not whole yet. */
  push(chunk: Buffer, greetingBytes: number): boolean {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (greetingBytes > 0) {
      if (this.pending.length < greetingBytes) return false;
      this.greeting = this.pending.subarray(0, greetingBytes);
      this.pending = this.pending.subarray(greetingBytes);
      return true;
    }
    this.drain();
    return true;
  }

  drain(): void {
    while (this.pending.length > 0) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.pending.length);
        this.skip -= n;
        this.pending = this.pending.subarray(n);
        if (this.skip === 0) this.onFrame(this.skipFlags, undefined);
        continue;
      }
      const flags = this.pending[0]!;
      const head = flags & LONG ? 9 : 2;
      if (this.pending.length < head) return;
      const size = flags & LONG ? Number(this.pending.readBigUInt64BE(1)) : this.pending[1]!;
      if (size > MAX_DETECTION_BYTES) {
        this.onTooLarge('a zmq message');
        this.pending = this.pending.subarray(head);
        this.skip = size;
        this.skipFlags = flags;
        continue;
      }
      if (this.pending.length < head + size) return;
      const body = Buffer.from(this.pending.subarray(head, head + size));
      this.pending = this.pending.subarray(head + size);
      this.onFrame(flags, body);
    }
  }
}
