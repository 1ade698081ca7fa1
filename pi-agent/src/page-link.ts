import { qrMatrix } from '../../src/qr/matrix.ts';
import { linkSegments } from '../../src/qr/link-segments.ts';
import { decodeBlob, frameToLink } from '../../src/signal/index.ts';
import type { AgentEvent } from './events.ts';

/**
 * --page-url: an offer becomes a link a phone's camera app opens, `URL#P:<digits>`. The event
 * carries the link and the link QR's version, so every renderer shows the same code.
 */
export function withPageLink(event: AgentEvent, pageUrl: string | undefined): AgentEvent {
  if (event.type !== 'offer' || pageUrl === undefined) return event;
  const link = frameToLink(pageUrl, decodeBlob(event.text).frame);
  return { ...event, link, qrVersion: qrMatrix(linkSegments(link)).version };
}

/** What a QR of this event holds: the link's segments, or the blob's frame. */
export function qrContent(event: { text: string; link?: string }): ReturnType<typeof linkSegments> | Uint8Array {
  return event.link === undefined ? decodeBlob(event.text).frame : linkSegments(event.link);
}
