// The entry of the single executable (docs/tauri.md): esbuild bundles it with everything it
// imports into one CommonJS file, which Node's single-executable applications need. The CLI is
// imported inside the promise so that a failure while loading it (the WebRTC library's binary
// missing beside the executable: E_ENGINE_LOAD) is said in one line, like any other error.
const failed = (error: unknown): never => {
  const code = (error as { code?: unknown } | null)?.code;
  const said = error instanceof Error ? (typeof code === 'string' && code.startsWith('E_') ? `${code}: ${error.message}` : (error.stack ?? error.message)) : String(error);
  process.stderr.write(`pigeon-bridge: ${said}\n`);
  process.exit(70);
};

import('./cli.ts')
  .then(async ({ main }) => process.exit(await main()))
  .catch(failed);
