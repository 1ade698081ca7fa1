import { EventEmitter } from 'node:events';
import { decodeBlob, encodeBlob, type EncodedBlob } from '@pigeon/signal';
import type { VideoCodecName } from '@pigeon/bridge-wire';
import { BridgeProcessError } from '../core/errors.ts';
import type { BridgeEvent } from '../core/events.ts';
import { BridgePeer } from '../webrtc/peer.ts';
import { Viewer, type PageSink } from './viewer.ts';

export interface BridgeViewersEvents {
  /** What the bridge reports about its viewers: answers and offers made, attachments, and each viewer's own reports. */
  report: [event: BridgeEvent];
}

/**
 * Every viewer this bridge runs, whichever page holds it. A viewer whose page went away (a
 * reload, a crash) waits `lingerMs` for a page to attach it again, then says goodbye to the
 * agent; nothing else here has a clock, so an answer may take as long as the Pi's offer lives.
 */
export class BridgeViewers extends EventEmitter<BridgeViewersEvents> {
  private readonly viewers = new Map<number, Viewer>();
  private readonly lingering = new Map<Viewer, NodeJS.Timeout>();
  private nextId = 1;

  constructor(private readonly lingerMs: number) {
    super();
  }

  /** Answers the Pi's offer for `sink`'s page: a new viewer, its answer sent to the page. */
  async accept(offerText: string, codecs: readonly VideoCodecName[], sink: PageSink): Promise<Viewer> {
    const offer = decodeBlob(offerText, { expect: 'offer' });
    const { peer, sdp, codec } = await BridgePeer.answer(offer, codecs);
    const answer = await encodeAnswer(peer, sdp, offer.offerId);
    const viewer = this.add(peer);
    const offerId = offer.offerId ?? null;
    sink.json({ v: 1, type: 'answer', viewer: viewer.id, token: viewer.token, offerId, codec, text: answer.text, bytes: Array.from(answer.bytes) });
    this.emit('report', { type: 'answer', viewer: viewer.id, page: sink.page, offerId, codec, text: answer.text });
    viewer.attach(sink);
    return viewer;
  }

  /**
   * Offers for `sink`'s page as a browser would (a reconnect's new connection, or the page offering
   * to `pi-agent answer`): a new viewer whose offer goes to the page, which carries it to the Pi and
   * brings its answer back (`answer`). Like an answer, the offer waits however long that takes.
   */
  async offer(codecs: readonly VideoCodecName[], sink: PageSink): Promise<Viewer> {
    const { peer, sdp } = await BridgePeer.offer(codecs);
    const viewer = this.add(peer);
    sink.json({ v: 1, type: 'offer', viewer: viewer.id, token: viewer.token, sdp });
    this.emit('report', { type: 'offer', viewer: viewer.id, page: sink.page, codecs: [...codecs] });
    viewer.attach(sink);
    return viewer;
  }

  /** A page takes over a viewer it (or the page before a reload) started. */
  attach(id: number, token: string, sink: PageSink): Viewer {
    const viewer = this.viewers.get(id);
    if (viewer === undefined || viewer.token !== token) throw new BridgeProcessError('E_VIEWER_UNKNOWN', `no viewer ${id} with that token here (it may have closed, or the bridge restarted): scan a fresh code from the Pi`);
    clearTimeout(this.lingering.get(viewer));
    this.lingering.delete(viewer);
    viewer.attach(sink);
    this.emit('report', { type: 'viewer-attached', viewer: id, page: sink.page });
    return viewer;
  }

  /** `sink`'s page went away: the viewer waits a while for another page, then ends. */
  detach(viewer: Viewer, sink: PageSink): void {
    if (viewer.page !== sink.page) return;
    viewer.detach(sink);
    const timer = setTimeout(() => void viewer.leave('E_PAGE_GONE', 'the page went away and did not come back'), this.lingerMs);
    this.lingering.set(viewer, timer);
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.viewers.values()].map((viewer) => viewer.leave('E_BRIDGE_STOPPED', reason)));
  }

  /** A new viewer of `peer`: its reports are this collection's, and it is forgotten when it ends. */
  private add(peer: BridgePeer): Viewer {
    const viewer = new Viewer(this.nextId++, peer);
    viewer.on('report', (event) => this.emit('report', event));
    viewer.once('ended', () => this.forget(viewer));
    this.viewers.set(viewer.id, viewer);
    return viewer;
  }

  private forget(viewer: Viewer): void {
    clearTimeout(this.lingering.get(viewer));
    this.lingering.delete(viewer);
    this.viewers.delete(viewer.id);
  }
}

/** The answer as a blob; a peer whose answer cannot be carried is closed before the error goes on. */
async function encodeAnswer(peer: BridgePeer, sdp: string, offerId: number | undefined): Promise<EncodedBlob> {
  try {
    return encodeBlob({ type: 'answer', sdp }, { offerId });
  } catch (error) {
    await peer.leave('the bridge could not encode its answer');
    throw error;
  }
}
