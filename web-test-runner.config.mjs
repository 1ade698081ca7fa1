import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';

// Element tests inside Debian's Chromium. They load the built dist/lib/pigeon.js (npm run
// build:lib), the module an embedding app imports, so Vite has already bundled Lit and the
// CommonJS QR packages; only the tests themselves are compiled here.
export default {
  files: 'test/browser/**/*.spec.ts',
  nodeResolve: true,
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' })],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      },
    }),
  ],
  testFramework: { config: { timeout: 15000 } },
};
