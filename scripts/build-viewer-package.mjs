#!/usr/bin/env node
// Builds the npm package pigeon-viewer (packages/viewer, its prepack): the embeddable elements
// (src/index.ts) as an ES module with Lit, the QR packages and pako left as imports (the
// package's dependencies, so an app's bundler shares them), the .d.ts files tsc emits from the
// sources, and the custom-elements manifest the analyzer reads from the elements' JSDoc.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'packages', 'viewer');
const say = (words) => process.stderr.write(`build-viewer-package: ${words}\n`);
const { dependencies } = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
const external = Object.keys(dependencies).filter((name) => !name.startsWith('@types/'));

rmSync(join(out, 'dist'), { recursive: true, force: true });
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: {
    target: 'es2022',
    outDir: join(out, 'dist'),
    emptyOutDir: false,
    copyPublicDir: false,
    lib: { entry: join(root, 'src', 'index.ts'), formats: ['es'], fileName: () => 'pigeon-viewer.js' },
    rollupOptions: { external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)) },
  },
});
say('dist/pigeon-viewer.js');

const bin = (name) => join(root, 'node_modules', '.bin', name);
execFileSync(bin('tsc'), ['-p', join(out, 'tsconfig.types.json')], { stdio: 'inherit' });
// tsc keeps the sources' `.ts` in relative imports of .d.ts files; `.js` is what every
// moduleResolution an app may use maps to the .d.ts beside it.
const types = join(out, 'dist', 'types');
for (const file of readdirSync(types, { recursive: true }).filter((f) => f.endsWith('.d.ts'))) {
  const path = join(types, file);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
}
say('dist/types/ (from tsc)');

const elements = ['pigeon-viewer', 'qr-view', 'qr-scan'].map((name) => `src/components/${name}.ts`);
execFileSync(bin('custom-elements-manifest'), ['analyze', '--litelement', '--quiet', '--outdir', 'packages/viewer', '--globs', ...elements], { cwd: root, stdio: 'inherit' });
// The manifest names the source modules; what the package ships is the bundle and its types.
const manifest = JSON.parse(readFileSync(join(out, 'custom-elements.json'), 'utf8'));
for (const module of manifest.modules) {
  const source = module.path;
  module.path = 'dist/pigeon-viewer.js';
  for (const exported of module.exports ?? []) if (exported.declaration?.module === source) exported.declaration.module = module.path;
}
writeFileSync(join(out, 'custom-elements.json'), `${JSON.stringify(manifest, null, 2)}\n`);
say('custom-elements.json');
