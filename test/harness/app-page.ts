import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Page } from 'puppeteer-core';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ChromiumHandle } from './chromium.ts';

/*
 * Someone else's app with <pigeon-viewer> in it, for the carrier tests: an HTTP server on
 * 127.0.0.1 serves a page that loads the built library (dist/lib/pigeon.js, npm run build:lib)
 * and wires the element to a WebSocket exactly as docs/carriers.md shows; the socket is the
 * app's own link (`/link` here, its far end given by the test) or pigeon-bridge's carry link.
 */
const LIBRARY = new URL('../../dist/lib/pigeon.js', import.meta.url);

/** The page: the docs' wiring (between the markers, word for word), then a frame counter for the test. */
export const APP_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>An app with a Pigeon viewer</title>
<pigeon-viewer style="display:block;width:640px"></pigeon-viewer>
<script type="module">
import '/pigeon.js';
const params = new URLSearchParams(location.search);
const carryUrl = params.get('link');
// docs/carriers.md: begin
const link = new WebSocket(carryUrl);
const viewer = document.querySelector('pigeon-viewer');
link.addEventListener('message', ({ data }) => {
  const message = JSON.parse(data);
  if (message.type === 'offer') viewer.offer = message.text;
  if (message.type === 'answer') viewer.answer = message.text;
  if (message.type === 'error') console.warn('pigeon link:', message.code, message.message);
});
viewer.addEventListener('answer', (event) => link.send(JSON.stringify({ type: 'answer', text: event.detail.text })));
viewer.addEventListener('offer', (event) => link.send(JSON.stringify({ type: 'offer', text: event.detail.text })));
// docs/carriers.md: end
if (params.has('offer-first')) link.addEventListener('open', () => viewer.createOffer());
const seen = (window.appSeen = { frames: 0, firstFrameAt: 0, carried: [], errors: [] });
link.addEventListener('message', ({ data }) => {
  const message = JSON.parse(data);
  seen.carried.push(message.type);
  if (message.type === 'error') seen.errors.push(message.code);
});
viewer.addEventListener('error', (event) => seen.errors.push(event.detail.code));
const counted = new WeakSet();
setInterval(() => {
  const video = viewer.shadowRoot && viewer.shadowRoot.querySelector('video');
  if (!video || counted.has(video)) return;
  counted.add(video);
  const each = () => {
    seen.frames++;
    if (seen.firstFrameAt === 0) seen.firstFrameAt = Date.now();
    video.requestVideoFrameCallback(each);
  };
  video.requestVideoFrameCallback(each);
}, 50);
</script>
`;

export interface AppSeen {
  /** Frames the viewer's <video> presented (requestVideoFrameCallback). */
  frames: number;
  /** Epoch ms of the first one; 0 before. */
  firstFrameAt: number;
  /** The types of the messages that came over the link, in order. */
  carried: string[];
  /** Error codes: from the link's `error` messages and the viewer's `error` events. */
  errors: string[];
  status: string;
}

export class AppPage {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly pages: Page[] = [];

  private constructor(
    private readonly http: Server,
    readonly origin: string,
  ) {}

  /** Serves the page; `link` is the far end of the app's own WebSocket at `/link`, when the test has one. */
  static async start(link?: (socket: WebSocket) => void): Promise<AppPage> {
    const library = await readFile(LIBRARY, 'utf8').catch((cause: unknown) => {
      throw new Error('dist/lib/pigeon.js is missing: run npm run build:lib first', { cause });
    });
    const http = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (path === '/') response.writeHead(200, { 'content-type': 'text/html' }).end(APP_PAGE);
      else if (path === '/pigeon.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(library);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const app = new AppPage(http, `http://127.0.0.1:${port}`);
    http.on('upgrade', (request, socket, head) => {
      if (!link || request.url !== '/link') return void socket.destroy();
      app.wss.handleUpgrade(request, socket, head, (ws) => link(ws));
    });
    return app;
  }

  /** The app's own link, for `open`. */
  get linkUrl(): string {
    return `${this.origin.replace('http', 'ws')}/link`;
  }

  /** Opens the page in Chromium, its viewer wired to `linkUrl`; `offerFirst`: the viewer offers when the link opens. */
  async open(chromium: ChromiumHandle, linkUrl: string, offerFirst = false): Promise<Page> {
    const page = await chromium.newPage();
    this.pages.push(page);
    await page.goto(`${this.origin}/?link=${encodeURIComponent(linkUrl)}${offerFirst ? '&offer-first' : ''}`);
    await page.bringToFront();
    return page;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.pages.splice(0).map((p) => p.close()));
    for (const client of this.wss.clients) client.terminate();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/** What the page has seen so far. */
export function appSeen(page: Page): Promise<AppSeen> {
  return page.evaluate(`(() => {
    const viewer = document.querySelector('pigeon-viewer');
    return { ...window.appSeen, status: viewer ? viewer.status : '' };
  })()`) as Promise<AppSeen>;
}
