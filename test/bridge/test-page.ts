import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles test/bridge/page (the bridge client and src/playback, nothing of the page's elements) with esbuild into a
 * temporary folder, and returns the file URL of its index.html: opened from disk, as a Tauri
 * app or a saved page is.
 */
export async function buildTestPage(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pigeon-bridge-page-'));
  const here = fileURLToPath(new URL('./page/', import.meta.url));
  // es2020: WebKitGTK 2.50 reads it all; one classic script, so it runs from file:// too.
  await build({ entryPoints: [join(here, 'main.ts')], bundle: true, format: 'iife', target: 'es2020', outfile: join(dir, 'main.js'), logLevel: 'silent' });
  await copyFile(join(here, 'index.html'), join(dir, 'index.html'));
  return pathToFileURL(join(dir, 'index.html')).href;
}

/** The page's URL for a bridge and an offer, as a Tauri shell would open it. */
export function pageUrl(page: string, bridgeUrl: string, offer: string): string {
  return `${page}?bridge=${encodeURIComponent(bridgeUrl)}#${offer}`;
}
