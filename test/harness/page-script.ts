import { build } from 'esbuild';

/*
 * A module of test/harness/page/ bundled into one classic script for a browser tab: the code that
 * has to run in the page is written, typechecked and linted as ordinary TypeScript, and reaches
 * the page whole, rather than as functions serialized with toString(). esbuild comes with tsx
 * and Vite. Bundled once per process, on first use; minified, as each tab of a test parses it.
 */
const bundles = new Map<string, Promise<string>>();

export function pageScript(name: 'peer-runtime' | 'app-probe'): Promise<string> {
  let bundle = bundles.get(name);
  if (!bundle) {
    bundle = bundleModule(new URL(`./page/${name}.ts`, import.meta.url).pathname);
    bundles.set(name, bundle);
  }
  return bundle;
}

async function bundleModule(entry: string): Promise<string> {
  const result = await build({ entryPoints: [entry], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, write: false, logLevel: 'silent' });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
  return output.text;
}
