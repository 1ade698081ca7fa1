import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the tests save their screenshots: docs/screenshots/ when PIGEON_SCREENSHOTS=1 (refreshing
 * the pictures the docs show), else a folder under the system's temp dir, so a test run leaves the
 * checkout as it found it. The pictures are taken either way.
 */
export function screenshotDir(): string {
  const dir = process.env.PIGEON_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : join(tmpdir(), 'pigeon-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
