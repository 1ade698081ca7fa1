#!/usr/bin/env node
// The agent is TypeScript run through tsx, so a Pi needs no build step: npm ci, then run.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli.ts', import.meta.url);
process.exitCode = await main();
