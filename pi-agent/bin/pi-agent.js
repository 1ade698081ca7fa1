#!/usr/bin/env node
// The agent is TypeScript run through tsx, so a Pi needs no build step: npm ci, then run.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli.ts', import.meta.url);
const code = await main();
// Exit now rather than wait for stragglers (stdin, werift's timers): everything the agent owns
// was closed before main() returned, and on Linux stdout/stderr pipes are written synchronously.
process.exit(code);
