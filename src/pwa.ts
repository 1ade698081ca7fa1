/**
 * Served over http(s) (the agent's --serve-page, any static host), the page is an installable
 * app that works offline: its manifest and its service worker. Opened from disk (file://) it is
 * the same single file with neither, since file:// pages have no service workers.
 */
export function installable(doc: Document = document): void {
  const { protocol } = doc.location;
  if (protocol !== 'http:' && protocol !== 'https:') return;
  const manifest = doc.createElement('link');
  manifest.rel = 'manifest';
  manifest.href = 'manifest.webmanifest';
  doc.head.append(manifest);
  // Service workers need a secure context: https, or http on localhost. A Pi's plain-http page
  // on the LAN is not one, so there the phone simply loads it from the Pi each time.
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('sw.js').catch((error: unknown) => console.warn('Pigeon: no offline copy:', error));
  }
}
