import type { RTCSctpTransport } from 'werift';

/*
 * werift 0.24's SCTP keeps every DATA chunk of a message until its last fragment has come
 * (SCTP.receiveDataChunk → InboundStream.addChunk, then popMessages concatenates them), whatever
 * the size. Browsers keep to the max-message-size the agent's SDP advertises (werift's 64 KiB),
 * but any other peer may send 10 MB, which werift would hold whole and then hand the data channel
 * as one string. So each inbound stream counts, as each chunk arrives, the bytes of the message
 * it belongs to. Past the limit, the chunks held for that message are let go and the rest of its
 * chunks are acknowledged (the sender stops resending them) but not kept; ordered delivery then
 * steps over its stream sequence number, so the messages after it arrive as usual and the
 * connection, video included, goes on.
 *
 * Over all streams, werift holds what its 1 MiB receive window allows a sender that keeps to it.
 * werift does not enforce that window, so a DATA chunk that would take the bytes held past the
 * window and one message more is dropped unacknowledged, as RFC 9260 §6.2 lets a receiver with no
 * room do: a sender that keeps to the window never sees this, and one that does not resends later.
 *
 * Applied per SCTP association, each one werift makes for this transport (see capInbound).
 */

// Chunk flags (RFC 9260 §3.3.1).
const LAST_FRAGMENT = 0x01;
const UNORDERED = 0x04;

/** werift's receive window, which it advertises and starts every association with. */
const WINDOW_BYTES = 1024 * 1024;

interface DataChunk {
  flags: number;
  tsn: number;
  streamId: number;
  streamSeqNum: number;
  userData: Buffer;
}

interface InboundStream {
  reassembly: DataChunk[];
  streamSequenceNumber: number;
  addChunk(chunk: DataChunk): void;
  popMessages(): Generator<[number, number, Buffer]>;
}

interface Association {
  advertisedRwnd: number;
  lastReceivedTsn: number;
  sackMisOrdered: Set<number>;
  sackNeeded: boolean;
  inboundStreams: Record<number, InboundStream | undefined>;
  getInboundStream(streamId: number): InboundStream;
  receiveDataChunk(chunk: DataChunk): void;
}

export type InboundRefusal =
  /** A message passed `maxMessageBytes`: its chunks were dropped as they came. */
  | { kind: 'message'; streamId: number; bytes: number }
  /** The peer sent past the receive window: chunks were dropped unacknowledged (said once per association). */
  | { kind: 'window' };

export interface InboundCap {
  /** The most bytes one data-channel message may have (the advertised max-message-size). */
  maxMessageBytes: number;
  refused(refusal: InboundRefusal): void;
}

/**
 * Caps what `transport`'s SCTP holds while it reads: each message at `cap.maxMessageBytes`, all of
 * them together at the receive window and one message more. Call once, before the association
 * starts; an association werift makes later for this transport is capped too.
 */
export function capInbound(transport: RTCSctpTransport, cap: InboundCap): void {
  let association: unknown = (transport as unknown as { sctp?: unknown }).sctp;
  if (isAssociation(association)) capAssociation(association, cap);
  Object.defineProperty(transport, 'sctp', {
    configurable: true,
    enumerable: true,
    get: () => association,
    set: (value: unknown) => {
      association = value;
      if (isAssociation(value)) capAssociation(value, cap);
    },
  });
}

function isAssociation(value: unknown): value is Association {
  const candidate = value as Partial<Association> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.receiveDataChunk === 'function' &&
    typeof candidate.getInboundStream === 'function' &&
    typeof candidate.advertisedRwnd === 'number'
  );
}

function uint32Gte(a: number, b: number): boolean {
  return a === b || (a > b && a - b < 2 ** 31) || (a < b && b - a > 2 ** 31);
}

function capAssociation(sctp: Association, cap: InboundCap): void {
  /** Bytes of chunks let go inside the current receiveDataChunk, given back to the window after it. */
  let released = 0;
  let windowSaid = false;
  const streams = new WeakSet<InboundStream>();
  const capStream = (stream: InboundStream): InboundStream => {
    if (!streams.has(stream)) {
      streams.add(stream);
      capMessages(stream, sctp, cap, (bytes) => (released += bytes));
    }
    return stream;
  };
  for (const stream of Object.values(sctp.inboundStreams)) if (stream) capStream(stream);

  const getInboundStream = sctp.getInboundStream.bind(sctp);
  sctp.getInboundStream = (streamId) => capStream(getInboundStream(streamId));

  const receiveDataChunk = sctp.receiveDataChunk.bind(sctp);
  sctp.receiveDataChunk = (chunk) => {
    const duplicate = uint32Gte(sctp.lastReceivedTsn, chunk.tsn) || sctp.sackMisOrdered.has(chunk.tsn);
    const held = WINDOW_BYTES - sctp.advertisedRwnd;
    if (!duplicate && held + chunk.userData.length > WINDOW_BYTES + cap.maxMessageBytes) {
      // Not marked received: the SACK this asks for says so, and a sender resends it later.
      sctp.sackNeeded = true;
      if (!windowSaid) cap.refused({ kind: 'window' });
      windowSaid = true;
      return;
    }
    released = 0;
    receiveDataChunk(chunk);
    // werift took every chunk that reached addChunk off its window; these it does not hold.
    sctp.advertisedRwnd += released;
    released = 0;
  };
}

/**
 * The per-message cap on one inbound stream. Ordered messages are told apart by their stream
 * sequence number (every fragment carries it); unordered ones, which the protocol does not use,
 * are capped together: the stream holds at most `maxMessageBytes` of unordered fragments.
 */
function capMessages(stream: InboundStream, sctp: Association, cap: InboundCap, release: (bytes: number) => void): void {
  /** Ordered messages being dropped, by sequence number, with their last fragment's TSN once seen. */
  const dropping = new Map<number, { lastTsn: number | undefined }>();
  /** An unordered message being dropped: its fragments after `fromTsn`, up to the last one. */
  let droppingUnordered: { fromTsn: number; lastTsn: number | undefined } | undefined;

  const letGo = (keep: (chunk: DataChunk) => boolean): void => {
    let bytes = 0;
    stream.reassembly = stream.reassembly.filter((held) => keep(held) || ((bytes += held.userData.length), false));
    release(bytes);
  };
  // Once every TSN up to a dropped message's last fragment has arrived, none of it can come again.
  const forgetDone = (): void => {
    for (const [ssn, drop] of dropping) {
      // Kept until delivery has stepped over it, too (ssn behind the next sequence number).
      const behind = (stream.streamSequenceNumber - ssn) & 0xffff;
      if (drop.lastTsn !== undefined && uint32Gte(sctp.lastReceivedTsn, drop.lastTsn) && behind > 0 && behind < 0x8000) dropping.delete(ssn);
    }
    if (droppingUnordered?.lastTsn !== undefined && uint32Gte(sctp.lastReceivedTsn, droppingUnordered.lastTsn)) droppingUnordered = undefined;
  };

  const addChunk = stream.addChunk.bind(stream);
  stream.addChunk = (chunk) => {
    forgetDone();
    const last = (chunk.flags & LAST_FRAGMENT) !== 0;
    const bytes = chunk.userData.length;
    if ((chunk.flags & UNORDERED) === 0) {
      const drop = dropping.get(chunk.streamSeqNum);
      if (drop) {
        if (last) drop.lastTsn = chunk.tsn;
        release(bytes);
        return;
      }
      const ssn = chunk.streamSeqNum;
      const sameMessage = (held: DataChunk): boolean => (held.flags & UNORDERED) === 0 && held.streamSeqNum === ssn;
      const total = stream.reassembly.reduce((sum, held) => (sameMessage(held) ? sum + held.userData.length : sum), bytes);
      if (total <= cap.maxMessageBytes) {
        addChunk(chunk);
        return;
      }
      // Its last fragment may have come already, out of order: then delivery can step over it now.
      const heldLast = stream.reassembly.find((held) => sameMessage(held) && (held.flags & LAST_FRAGMENT) !== 0);
      letGo((held) => !sameMessage(held));
      release(bytes);
      dropping.set(ssn, { lastTsn: last ? chunk.tsn : heldLast?.tsn });
      cap.refused({ kind: 'message', streamId: chunk.streamId, bytes: total });
      return;
    }
    if (droppingUnordered && uint32Gte(chunk.tsn, droppingUnordered.fromTsn) && (droppingUnordered.lastTsn === undefined || uint32Gte(droppingUnordered.lastTsn, chunk.tsn))) {
      if (last && droppingUnordered.lastTsn === undefined) droppingUnordered.lastTsn = chunk.tsn;
      release(bytes);
      return;
    }
    const unordered = (held: DataChunk): boolean => (held.flags & UNORDERED) !== 0;
    const total = stream.reassembly.reduce((sum, held) => (unordered(held) ? sum + held.userData.length : sum), bytes);
    if (total <= cap.maxMessageBytes) {
      addChunk(chunk);
      return;
    }
    // From its earliest fragment held, so that fragments still on their way are dropped too.
    const fromTsn = stream.reassembly.filter(unordered).reduce((from, held) => (uint32Gte(from, held.tsn) ? held.tsn : from), chunk.tsn);
    const heldLast = stream.reassembly.find((held) => unordered(held) && (held.flags & LAST_FRAGMENT) !== 0);
    letGo((held) => !unordered(held));
    release(bytes);
    droppingUnordered = { fromTsn, lastTsn: last ? chunk.tsn : heldLast?.tsn };
    cap.refused({ kind: 'message', streamId: chunk.streamId, bytes: total });
  };
  stepOverDropped(stream, dropping);
}

/** Ordered delivery waits for each sequence number in turn: it steps over the dropped ones. */
function stepOverDropped(stream: InboundStream, dropping: ReadonlyMap<number, { lastTsn: number | undefined }>): void {
  const popMessages = stream.popMessages.bind(stream);
  stream.popMessages = function* () {
    for (;;) {
      let stepped = false;
      while (dropping.get(stream.streamSequenceNumber)?.lastTsn !== undefined) {
        stream.streamSequenceNumber = (stream.streamSequenceNumber + 1) & 0xffff;
        stepped = true;
      }
      let delivered = false;
      for (const message of popMessages()) {
        delivered = true;
        yield message;
      }
      if (!delivered && !stepped) return;
    }
  };
}
