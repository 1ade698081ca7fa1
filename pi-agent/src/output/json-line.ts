// A shown event as the line the agent writes (the AgentEvent contract): an offer or answer says its
// blob's text, its frame's size and the QR code's version, worked out here from what it carries.
import type { AgentEvent, ShownEvent } from '../core/events.ts';

export function lineOf(event: ShownEvent): AgentEvent {
  switch (event.type) {
    case 'offer': {
      const { offerId, blob, link, qr, expiresAt } = event;
      const line = { type: 'offer', offerId, text: blob.text, bytes: blob.bytes.length, qrVersion: qr.version, expiresAt: expiresAt.toISOString() } as const;
      return link === undefined ? line : { ...line, link };
    }
    case 'answer': {
      const { viewer, blob, qr, expiresAt } = event;
      return { type: 'answer', viewer, text: blob.text, bytes: blob.bytes.length, qrVersion: qr.version, expiresAt: expiresAt.toISOString() };
    }
    default:
      return event;
  }
}
