// The pages' end of the carrier: each page's WebSocket gets the agent's current offer (and each
// fresh one until it answers), and the answer to an offer it sent; what it sends goes to the
// agent's stdin. Four JSON messages, the same an app carries over a link of its own
// (docs/carriers.md):
//
//   to the page    {"type":"offer","text":"pigeon:…"}   {"type":"answer","text":"pigeon:…"}
//                  {"type":"error","code":"E_…","message":"…"}
//   from the page  {"type":"answer","text":"pigeon:…"}  {"type":"offer","text":"pigeon:…"}
import { EventEmitter } from 'node:events';
import type { RawData, WebSocket } from 'ws';
import { MAX_TEXT_CHARS, describe } from '@pigeon/signal';
import type { CarriedAgent, CarriedBlob } from './carried-agent.ts';
import { CarryError } from './carry-errors.ts';
import type { BridgeEvent } from '../core/events.ts';

export type CarryMessage =
  | { type: 'offer' | 'answer'; text: string; offerId?: number; expiresAt?: string }
  | { type: 'error'; code: string; message: string };

interface PageState {
  /**
   * It answered an offer, or offered itself: fresh offers (the agent makes one after each join,
   * in either direction) are for the next viewer, not for it.
   */
  answered: boolean;
}

/** A page's message, or a CarryError saying what is wrong with it. */
export function parseCarryMessage(data: RawData, isBinary: boolean): { type: 'offer' | 'answer'; text: string } {
  if (isBinary) throw new CarryError('E_CARRY_MESSAGE', 'a binary message: the carrier reads JSON text');
  const raw = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
  if (raw.length > MAX_TEXT_CHARS + 100) throw new CarryError('E_CARRY_MESSAGE', `a message of ${raw.length} characters, more than a blob can be`);
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    throw new CarryError('E_CARRY_MESSAGE', 'a message that is not JSON');
  }
  const { type, text } = (message ?? {}) as { type?: unknown; text?: unknown };
  if ((type !== 'offer' && type !== 'answer') || typeof text !== 'string' || text.trim() === '') {
    throw new CarryError('E_CARRY_MESSAGE', 'a message that is not {"type":"answer"|"offer","text":"pigeon:…"}');
  }
  return { type, text };
}

export interface CarryLinksEvents {
  /** What the carrier reports: pages that came, blobs carried, the carried command failing. */
  report: [event: BridgeEvent];
}

export class CarryLinks extends EventEmitter<CarryLinksEvents> {
  private readonly pages = new Map<WebSocket, PageState>();
  private latest: CarriedBlob | undefined;
  private failure: CarryError | undefined;
  /** Who gave the agent its last blob: the answer to an offer, or a refusal, is for that page. */
  private lastWriter: WebSocket | undefined;
  private count = 0;

  constructor(private readonly agent: CarriedAgent) {
    super();
  }

  /** A page's socket, let in by the server: it gets the current offer, or the failure, at once. */
  add(socket: WebSocket): void {
    this.pages.set(socket, { answered: false });
    const page = ++this.count;
    socket.on('message', (data, isBinary) => this.receive(socket, data, isBinary));
    socket.on('close', () => {
      this.pages.delete(socket);
      if (this.lastWriter === socket) this.lastWriter = undefined;
    });
    socket.on('error', () => undefined);
    this.emit('report', { type: 'carry-page', page });
    if (this.failure) this.send(socket, { type: 'error', code: this.failure.code, message: this.failure.message });
    else if (this.latest) this.send(socket, { type: 'offer', ...this.latest });
  }

  /** The agent's answer (to the offer a page gave it) goes to that page. */
  answered(answer: CarriedBlob): void {
    if (this.lastWriter) this.send(this.lastWriter, { type: 'answer', ...answer });
    this.emit('report', { type: 'carried', what: 'answer', to: this.lastWriter ? 'page' : 'nobody' });
  }

  /** The carried command ended or never spoke: every page is told, and every page that comes later. */
  failed(error: CarryError): void {
    this.failure = error;
    for (const socket of this.pages.keys()) this.send(socket, { type: 'error', code: error.code, message: error.message });
    this.emit('report', { type: 'carry-failed', code: error.code, reason: error.message });
  }

  /** The agent's offer (a fresh one after each join, or when one expires) goes to every page that has not answered. */
  offered(offer: CarriedBlob): void {
    this.latest = offer;
    let to = 0;
    for (const [socket, state] of this.pages) {
      if (state.answered) continue;
      this.send(socket, { type: 'offer', ...offer });
      to++;
    }
    this.emit('report', { type: 'carried', what: 'offer', to: to > 0 ? 'page' : 'nobody' });
  }

  /** The agent refused what the last page gave it: that page is told. */
  refused(code: string, reason: string): void {
    const socket = this.lastWriter;
    if (!socket) return;
    this.send(socket, { type: 'error', code, message: reason });
    const state = this.pages.get(socket);
    // Its answer was not taken (an offer that expired meanwhile): the current offer is still for it.
    if (state?.answered) {
      state.answered = false;
      if (this.latest) this.send(socket, { type: 'offer', ...this.latest });
    }
  }

  private receive(socket: WebSocket, data: RawData, isBinary: boolean): void {
    try {
      const message = parseCarryMessage(data, isBinary);
      if (this.failure) throw this.failure;
      this.lastWriter = socket;
      const state = this.pages.get(socket);
      if (state) state.answered = true;
      this.agent.write(message.text);
    } catch (error) {
      const { code, message } = describe(error, 'E_CARRY_MESSAGE');
      this.send(socket, { type: 'error', code, message });
    }
  }

  private send(socket: WebSocket, message: CarryMessage): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  }
}
