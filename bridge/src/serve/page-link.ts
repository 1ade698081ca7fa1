import { EventEmitter } from 'node:events';
import type { RawData, WebSocket } from 'ws';
import { BridgeError, encodeBridgeJson, parsePageRequest, type BridgeMessage, type PageRequest } from '@pigeon/bridge-wire';
import { describe } from '@pigeon/signal';
import { BridgeProcessError } from '../core/errors.ts';
import type { BridgeEvent } from '../core/events.ts';
import type { Viewer, PageSink } from './viewer.ts';
import type { BridgeViewers } from './bridge-viewers.ts';

/** A page this far behind on video (unsent bytes) gets no more frames until it catches up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface PageLinkEvents {
  /** What the bridge reports about this page: a request refused, an answer taken, the page gone. */
  report: [event: BridgeEvent];
}

/**
 * One page's WebSocket: reads its requests, holds the one viewer it watches, and carries that
 * viewer's messages and frames back. A bad request gets an `error` message and changes nothing;
 * the connection stays open, since the page may well send a good one next.
 */
export class PageLink extends EventEmitter<PageLinkEvents> implements PageSink {
  private viewer: Viewer | undefined;
  private accepting = false;

  constructor(
    readonly page: number,
    private readonly socket: WebSocket,
    private readonly viewers: BridgeViewers,
  ) {
    super();
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('close', () => this.gone());
    // A broken frame from the page (ws closes the socket itself): nothing else is affected.
    socket.on('error', () => undefined);
  }

  json(message: BridgeMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(encodeBridgeJson(message));
  }

  frame(bytes: Uint8Array): boolean {
    if (this.socket.readyState !== this.socket.OPEN || this.socket.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    this.socket.send(bytes, { binary: true });
    return true;
  }

  released(viewer: number): void {
    if (this.viewer?.id === viewer) this.viewer = undefined;
  }

  private receive(data: RawData, isBinary: boolean): void {
    try {
      if (isBinary) throw new BridgeError('E_BRIDGE_BINARY', 'a binary message: the bridge reads JSON text requests only');
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
      void this.handle(parsePageRequest(text)).catch((error: unknown) => this.refuse(error));
    } catch (error) {
      this.refuse(error);
    }
  }

  private async handle(request: PageRequest): Promise<void> {
    switch (request.type) {
      case 'accept': {
        if (this.accepting || this.viewer) throw new BridgeProcessError('E_HAS_VIEWER', `this page already watches${this.viewer ? ` as viewer ${this.viewer.id}` : ''}: close it first`);
        this.accepting = true;
        try {
          this.viewer = await this.viewers.accept(request.offer, request.codecs ?? ['H264', 'VP8'], this);
        } finally {
          this.accepting = false;
        }
        return;
      }
      case 'offer': {
        if (this.accepting || this.viewer) throw new BridgeProcessError('E_HAS_VIEWER', `this page already watches${this.viewer ? ` as viewer ${this.viewer.id}` : ''}: close it first`);
        this.accepting = true;
        try {
          this.viewer = await this.viewers.offer(request.codecs ?? ['H264', 'VP8'], this);
        } finally {
          this.accepting = false;
        }
        return;
      }
      case 'answer': {
        const viewer = this.current();
        await viewer.acceptAnswer(request.sdp);
        this.emit('report', { type: 'answered', viewer: viewer.id });
        return;
      }
      case 'attach':
        if (this.viewer) throw new BridgeProcessError('E_HAS_VIEWER', `this page already watches as viewer ${this.viewer.id}`);
        this.viewer = this.viewers.attach(request.viewer, request.token, this);
        return;
      case 'keyframe':
        this.current().requestKeyframe();
        return;
      case 'send':
        if (!this.current().send(request.text)) throw new BridgeProcessError('E_NOT_CONNECTED', 'the data channel to the Pi is not open yet');
        return;
      case 'close': {
        const viewer = this.current();
        this.viewer = undefined;
        await viewer.leave('E_PAGE_CLOSED', request.reason);
        return;
      }
    }
  }

  private current(): Viewer {
    if (!this.viewer) throw new BridgeProcessError('E_NO_VIEWER', 'this page watches nothing yet: send "accept" with the Pi\'s offer, or "attach"');
    return this.viewer;
  }

  private refuse(error: unknown): void {
    const { code, message } = describe(error, 'E_WEBRTC');
    this.json({ v: 1, type: 'error', code, message });
    this.emit('report', { type: 'request-refused', page: this.page, code, reason: message });
  }

  private gone(): void {
    if (this.viewer) this.viewers.detach(this.viewer, this);
    this.emit('report', { type: 'page-left', page: this.page });
  }
}
