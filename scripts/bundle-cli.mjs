#!/usr/bin/env node
// Bundles a command's TypeScript (pi-agent/ or bridge/, with the shared src/signal and src/qr it
// imports) into one ES module, PACKAGE/dist/NAME.js, for `npm pack` (each package's prepack): the
// packed package runs it on plain Node, with no build step on the target and nothing compiled at
// start. npm packages stay imports: they are the package's dependencies, installed as such, so
// native addons among them are never pulled into the bundle. This repository's own workspace
// packages (@pigeon/…, e.g. the engine) are not published: they go into the bundle like src/signal.
// Usage: node scripts/bundle-cli.mjs PACKAGE NAME   (e.g. pi-agent pi-agent)
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const [pkg, name] = process.argv.slice(2);
if (!pkg || !name) {
  process.stderr.write('usage: node scripts/bundle-cli.mjs PACKAGE NAME\n');
  process.exit(64);
}
/** Every bare import but this repository's own `@pigeon/` workspaces is left to the installed dependencies. */
const npmPackagesExternal = {
  name: 'npm-packages-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@pigeon/') ? undefined : { path: args.path, external: true }));
  },
};
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', pkg);
rmSync(join(dir, 'dist'), { recursive: true, force: true });
const result = await build({
  entryPoints: [join(dir, 'src', 'cli.ts')],
  outfile: join(dir, 'dist', `${name}.js`),
  bundle: true,
  plugins: [npmPackagesExternal],
  platform: 'node',
  format: 'esm',
  // Debian's Node on a Pi (bookworm) is 18.
  target: 'node18',
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
process.stderr.write(`bundle-cli: ${pkg}/dist/${name}.js (${(bytes / 1024).toFixed(0)} KiB)\n`);
