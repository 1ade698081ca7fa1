// What an offer or answer looks like once shown: with --page-url an offer becomes a link a phone's
// camera app opens (`URL#P:<digits>`), and the QR code that holds it (the link's, else the blob's
// frame) is made here once, so the terminal, --qr-png, --display and the JSON line all show and
// report the same code.
import { linkSegments, qrMatrix } from '@pigeon/qr';
import { frameToLink } from '@pigeon/signal';
import type { SessionEvent, ShownEvent } from '../core/events.ts';

export function present(event: SessionEvent, pageUrl: string | undefined): ShownEvent {
  if (event.type === 'answer') return { ...event, qr: qrMatrix(event.blob.bytes) };
  if (event.type !== 'offer') return event;
  if (pageUrl === undefined) return { ...event, qr: qrMatrix(event.blob.bytes) };
  const link = frameToLink(pageUrl, event.blob.bytes);
  return { ...event, link, qr: qrMatrix(linkSegments(link)) };
}
