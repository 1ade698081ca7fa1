#!/usr/bin/env node
// The bridge is TypeScript run through tsx, like the agent: npm ci, then run; no build step.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli.ts', import.meta.url);
const code = await main();
// Exit now rather than wait for stragglers (werift's timers): main() closed everything it owned.
process.exit(code);
