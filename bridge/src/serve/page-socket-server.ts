import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_REQUEST_CHARS } from '@pigeon/bridge-wire';
import { accessRefusal } from './access.ts';
import { BridgeProcessError } from '../core/errors.ts';
import type { BridgeEvent } from '../core/events.ts';

export interface PageSocketServerOptions {
  port: number;
  secret: string;
  allowedOrigins: readonly string[];
}

export interface PageSocketServerEvents {
  /** A page let in: its WebSocket, and the Origin it came with (null without one). */
  page: [socket: WebSocket, origin: string | null];
  /** A connection turned away (`page-refused`). */
  report: [event: BridgeEvent];
}

/**
 * The loopback WebSocket endpoint and its only owner: an HTTP server on 127.0.0.1 that upgrades
 * a request only when access.ts lets it in, and answers anything else with a refusal that says
 * why (an HTTP status, and the code in the body and an X-Pigeon-Refusal header).
 */
export class PageSocketServer extends EventEmitter<PageSocketServerEvents> {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_CHARS * 4 });

  constructor(private readonly options: PageSocketServerOptions) {
    super();
    this.http = createServer((_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain' }).end("This is Pigeon's bridge: a WebSocket endpoint for the Pigeon page (docs/bridge.md).\n");
    });
    this.http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
    this.http.on('clientError', (_error, socket) => socket.destroy());
  }

  /** Starts listening on 127.0.0.1; resolves with the port (a free one for port 0). */
  listen(): Promise<number> {
    const { port } = this.options;
    return new Promise<number>((resolve, reject) => {
      this.http.once('error', (error) => reject(new BridgeProcessError('E_LISTEN', `could not listen on 127.0.0.1:${port}: ${error.message}`, { cause: error })));
      this.http.listen(port, '127.0.0.1', () => {
        const address = this.http.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.close(1001, 'the bridge is stopping');
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const origin = request.headers.origin;
    const refused = accessRefusal({ path: request.url ?? '/', origin, remoteAddress: request.socket.remoteAddress }, this.options.secret, this.options.allowedOrigins);
    if (refused) {
      const status = refused.status === 404 ? 'Not Found' : 'Forbidden';
      const body = `${refused.code}: ${refused.reason}\n`;
      socket.end(
        `HTTP/1.1 ${refused.status} ${status}\r\nContent-Type: text/plain\r\nX-Pigeon-Refusal: ${refused.code}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      this.emit('report', { type: 'page-refused', code: refused.code, reason: refused.reason, address: request.socket.remoteAddress ?? '' });
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.emit('page', ws, origin ?? null));
  }
}
