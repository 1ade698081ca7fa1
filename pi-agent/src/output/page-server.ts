// --serve-page: the one listening port the agent ever opens, and only when asked. It serves the
// built page (a committed copy under pi-agent/page/, since a Pi has no web build tools) and
// nothing else: a fixed table of files read into memory at start, GET and HEAD only, no
// directory, no request bodies, small headers, and timeouts so a slow or idle client holds a
// socket for seconds, never the agent.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentError } from '../core/errors.ts';
import { PACKAGE_DIR } from '../package-dir.ts';

export const PAGE_DIR = new URL('page/', PACKAGE_DIR);

/** Path → file in PAGE_DIR and its type. Files missing from the copy are simply not served. */
const ROUTES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/manifest.webmanifest': { file: 'manifest.webmanifest', type: 'application/manifest+json' },
  '/sw.js': { file: 'sw.js', type: 'text/javascript; charset=utf-8' },
  '/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
  '/icon-192.png': { file: 'icon-192.png', type: 'image/png' },
  '/icon-512.png': { file: 'icon-512.png', type: 'image/png' },
};

/** Limits a phone never comes near and a flood hits at once. */
const LIMITS = { headerByteLength: 8 * 1024, headersMs: 5_000, requestMs: 10_000, idleMs: 5_000, connections: 64 };

export interface PageServerOptions {
  host: string;
  /** 0 for any free port. */
  port: number;
  dir?: URL;
}

interface Page {
  body: Buffer;
  type: string;
}

export class PageServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: PageServerOptions): Promise<PageServer> {
    const pages = await load(options.dir ?? PAGE_DIR);
    const server = createServer({ maxHeaderSize: LIMITS.headerByteLength, headersTimeout: LIMITS.headersMs, requestTimeout: LIMITS.requestMs }, (req, res) =>
      respond(pages, req, res),
    );
    server.keepAliveTimeout = LIMITS.idleMs;
    server.timeout = LIMITS.requestMs;
    server.maxConnections = LIMITS.connections;
    // A malformed or oversized request gets a short answer and its socket closed.
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause: NodeJS.ErrnoException) =>
        reject(
          new AgentError(
            'E_PAGE_SERVER',
            cause.code === 'EADDRINUSE'
              ? `port ${options.port} on ${options.host} is taken; give --serve-page another port`
              : `could not serve the page on ${options.host}:${options.port}: ${cause.message}`,
            { cause },
          ),
        ),
      );
      server.listen(options.port, options.host, resolve);
    });
    const { port } = server.address() as AddressInfo;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    return new PageServer(server, `http://${host}:${port}/`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function load(dir: URL): Promise<Map<string, Page>> {
  const files = new Map<string, Buffer>();
  for (const { file } of Object.values(ROUTES)) {
    if (files.has(file)) continue;
    const body = await readFile(new URL(file, dir)).catch(() => undefined);
    if (body) files.set(file, body);
  }
  if (!files.has('index.html')) {
    throw new AgentError('E_PAGE_SERVER', `the page is missing from ${dir.pathname}index.html; run "npm run build:pi-page" in a full clone (or git checkout it again)`);
  }
  const pages = new Map<string, Page>();
  for (const [path, { file, type }] of Object.entries(ROUTES)) {
    const body = files.get(file);
    if (body) pages.set(path, { body, type });
  }
  return pages;
}

function respond(pages: Map<string, Page>, req: IncomingMessage, res: ServerResponse): void {
  const plain = (status: number, text: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), Connection: 'close', ...headers });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const page = pages.get(path);
  if (!page) return plain(404, 'Not found. This Pi serves only the Pigeon page, at /.\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'Only GET and HEAD.\n', { Allow: 'GET, HEAD' });
  // Nothing here takes a body: one announced is refused before a byte of it is read.
  if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) return plain(413, 'No request bodies here.\n');
  res.writeHead(200, {
    'Content-Type': page.type,
    'Content-Length': page.body.length,
    // The page changes only when the agent is updated; a phone checks each time it is online.
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...(path === '/sw.js' ? { 'Service-Worker-Allowed': '/' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : page.body);
}
