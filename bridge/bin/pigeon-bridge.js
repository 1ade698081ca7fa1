#!/usr/bin/env node
// From a checkout the bridge is TypeScript run through tsx, like the agent: npm ci, then run; no
// build step. A packed bridge (npm pack) has no src/ but dist/pigeon-bridge.js, bundled at prepack
// (scripts/bundle-cli.mjs): plain JavaScript, nothing compiled at start.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const fromSource = existsSync(new URL('../src/cli.ts', import.meta.url));
const { main } = fromSource ? await (await import('tsx/esm/api')).tsImport('../src/cli.ts', import.meta.url) : await import('../dist/pigeon-bridge.js');
const code = await main();
// Exit now rather than wait for stragglers (timers of the parts): main() closed everything it owned.
process.exit(code);
