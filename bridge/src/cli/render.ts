import type { BridgeEvent } from '../core/events.ts';

/** An event as the status line a person reads on stderr. */
export function statusLine(event: BridgeEvent): string {
  switch (event.type) {
    case 'listening':
      return `listening on 127.0.0.1 (pid ${event.pid}); give the page the URL above`;
    case 'page-connected':
      return `page ${event.page} connected (origin ${event.origin ?? 'none'})`;
    case 'page-refused':
      return `refused a connection from ${event.address}: ${event.code}: ${event.reason}`;
    case 'page-left':
      return `page ${event.page} left`;
    case 'request-refused':
      return `page ${event.page}: refused a request: ${event.code}: ${event.reason}`;
    case 'answer':
      return `viewer ${event.viewer}: answered offer ${event.offerId ?? '(no id)'} with ${event.codec}; waiting for the Pi to take the answer`;
    case 'offer':
      return `viewer ${event.viewer}: offered ${event.codecs.join(', ')} for page ${event.page}; waiting for the Pi's answer`;
    case 'answered':
      return `viewer ${event.viewer}: took the Pi's answer; connecting`;
    case 'viewer-connected':
      return `viewer ${event.viewer}: connected to the Pi`;
    case 'viewer-attached':
      return `viewer ${event.viewer}: now shown by page ${event.page}`;
    case 'viewer-closed':
      return `viewer ${event.viewer}: closed: ${event.reason} (${event.code})`;
    case 'stats':
      return `viewer ${event.viewer}: ${event.fps} fps, ${event.kbps} kbit/s to the page; ${event.lost} lost, ${event.skipped} skipped`;
    case 'carrying':
      return `carrying the blobs of "${event.command.join(' ')}" for pages at the URL on the second line`;
    case 'carry-page':
      return `carry link ${event.page} opened`;
    case 'carried':
      return `carried the agent's ${event.what} ${event.to === 'page' ? 'to the page' : '(no page waiting for it yet)'}`;
    case 'carry-failed':
      return `carrying stopped: ${event.code}: ${event.reason}`;
    case 'stopped':
      return `stopped: ${event.reason}`;
  }
}
