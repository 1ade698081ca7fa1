import WebSocket from 'ws';
import { decodeVideoFrame, type BridgeFrame } from '../../src/bridge-wire/frame.ts';
import { encodeBridgeJson, parseBridgeMessage, type BridgeMessage, type PageRequest } from '../../src/bridge-wire/protocol.ts';

type MessageOf<T extends BridgeMessage['type']> = Extract<BridgeMessage, { type: T }>;

/**
 * A page as a Node WebSocket client: what the refusal and hand-over tests need without a
 * browser. Sends requests, keeps every message and frame the bridge sends back.
 */
export class WsPage {
  readonly messages: BridgeMessage[] = [];
  readonly frames: BridgeFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
      if (isBinary) this.frames.push(decodeVideoFrame(new Uint8Array(bytes)));
      else this.messages.push(parseBridgeMessage(bytes.toString('utf8')));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a page on `url`; rejects with the HTTP status and refusal code when the bridge turns it away. */
  static open(url: string, options: { origin?: string; localAddress?: string } = {}): Promise<WsPage> {
    const socket = new WebSocket(url, { ...(options.origin ? { origin: options.origin } : {}), ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsPage(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`refused: ${response.statusCode} ${String(response.headers['x-pigeon-refusal'])}`));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  send(request: PageRequest): void {
    this.socket.send(encodeBridgeJson(request));
  }

  /** Anything at all, as a confused or hostile page would send it. */
  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** The first message of this type after the first `after` messages, waiting up to `timeoutMs`. */
  async next<T extends BridgeMessage['type']>(type: T, options: { after?: number; timeoutMs?: number; where?: (m: MessageOf<T>) => boolean } = {}): Promise<MessageOf<T>> {
    const until = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const found = this.messages.slice(options.after ?? 0).find((m): m is MessageOf<T> => m.type === type && (options.where?.(m as MessageOf<T>) ?? true));
      if (found) return found;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no "${type}" from the bridge; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  /** Resolves once `count` frames have come, or rejects after `timeoutMs`. */
  async framesUntil(count: number, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.frames.length < count) {
      const left = until - Date.now();
      if (left <= 0) throw new Error(`${this.frames.length} frames of ${count} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}
