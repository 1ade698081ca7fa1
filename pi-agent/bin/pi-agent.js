#!/usr/bin/env node
// From a checkout the agent is TypeScript run through tsx, so a Pi needs no build step: npm ci,
// then run. A packed agent (npm pack) has no src/ but dist/pi-agent.js, bundled at prepack
// (scripts/bundle-cli.mjs): plain JavaScript, nothing compiled at start.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const fromSource = existsSync(new URL('../src/cli.ts', import.meta.url));
const { main } = fromSource ? await (await import('tsx/esm/api')).tsImport('../src/cli.ts', import.meta.url) : await import('../dist/pi-agent.js');
const code = await main();
// Exit now rather than wait for stragglers (stdin, werift's timers): everything the agent owns
// was closed before main() returned, and on Linux stdout/stderr pipes are written synchronously.
process.exit(code);
