import { build, type Rolldown } from 'vite';

/**
 * `src/index.ts` (what an embedding app imports) bundled into one ES module with Lit, in memory,
 * by the same Vite and tsconfig as the page build. Element tests inject it into a blank page.
 */
export async function bundleElements(): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      target: 'es2022',
      lib: { entry: new URL('../../src/index.ts', import.meta.url).pathname, formats: ['es'], fileName: 'pigeon' },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((o) => o.type === 'chunk');
  if (!chunk || chunk.type !== 'chunk') throw new Error('vite produced no chunk for src/index.ts');
  return chunk.code;
}
