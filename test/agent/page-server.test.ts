import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PAGE_DIR, PageServer } from '../../pi-agent/src/output/page-server.ts';

/* --serve-page's server on loopback: the page and nothing else, and no client holds it up. */
let server: PageServer;
before(async () => {
  server = await PageServer.start({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await server?.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function fetchRaw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes over a socket, for what an HTTP client would refuse to send; resolves with the reply's first line. */
function rawRequest(text: string): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString()));
    socket.on('close', () => resolve(reply.split('\r\n')[0] ?? ''));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(reply.split('\r\n')[0] ?? 'reset') : reject(error)));
  });
}

test('the committed page copy is what a fresh build makes (run "npm run build:pi-page" if not)', () => {
  const fresh = mkdtempSync(join(tmpdir(), 'pigeon-page-'));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', fresh, '--emptyOutDir', '--logLevel', 'error'], { cwd: root });
  const committed = fileURLToPath(PAGE_DIR);
  assert.deepEqual(readdirSync(committed).sort(), readdirSync(fresh).sort(), 'the same files');
  for (const file of readdirSync(fresh)) {
    assert.ok(readFileSync(join(committed, file)).equals(readFileSync(join(fresh, file))), `pi-agent/page/${file} is stale: run "npm run build:pi-page"`);
  }
});

test('GET and HEAD of the page; its files with their types', async () => {
  const page = await fetchRaw('GET', '/');
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.ok(page.body.equals(readFileSync(new URL('index.html', PAGE_DIR))));
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const head = await fetchRaw('HEAD', '/index.html');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(Number(head.headers['content-length']), page.body.length);
  assert.equal((await fetchRaw('GET', '/?from=qr')).status, 200, 'a query string is ignored');
  for (const file of readdirSync(fileURLToPath(PAGE_DIR)).filter((f) => f !== 'index.html')) {
    const reply = await fetchRaw('GET', `/${file}`);
    assert.equal(reply.status, 200, file);
  }
});

test('every other path is 404, every other method 405, and nothing lists a directory', async () => {
  for (const path of ['/src/main.ts', '/pi-agent/', '/../package.json', '/%2e%2e/package.json', '/index.html/', '/page/', '/.git/config']) {
    assert.equal((await fetchRaw('GET', path)).status, 404, path);
  }
  assert.equal(await rawRequest('GET //etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 'HTTP/1.1 404 Not Found');
  assert.equal(await rawRequest('GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 'HTTP/1.1 404 Not Found');
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const reply = await fetchRaw(method, '/');
    assert.equal(reply.status, 405, method);
    assert.equal(reply.headers.allow, 'GET, HEAD');
  }
  assert.equal(await rawRequest('TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 'HTTP/1.1 405 Method Not Allowed');
});

test('huge headers and request bodies are refused', async () => {
  assert.equal(await rawRequest(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`), 'HTTP/1.1 431 Request Header Fields Too Large');
  assert.equal(await rawRequest(`GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n${'x'.repeat(1000)}`), 'HTTP/1.1 413 Payload Too Large');
  assert.equal(await rawRequest('GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n'), 'HTTP/1.1 413 Payload Too Large');
});

test('a slow client is cut off, and others are served meanwhile', async () => {
  const { port } = new URL(server.url);
  const started = Date.now();
  // Half a request, then nothing: a slowloris.
  const closed = new Promise<number>((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n'));
    socket.on('close', () => resolve(Date.now() - started));
    socket.on('error', () => undefined);
  });
  assert.equal((await fetchRaw('GET', '/')).status, 200, 'served while the slow one hangs');
  const ms = await closed;
  // Node checks header timeouts every few seconds: closed well within a minute, however loaded the machine.
  assert.ok(ms < 60_000, `the slow client was dropped after ${ms} ms`);
});
