// The entry of the single executable (docs/tauri.md): esbuild bundles it with everything it
// imports into one CommonJS file, which Node's single-executable applications need.
import { main } from './cli.ts';

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`pigeon-bridge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(70);
  },
);
