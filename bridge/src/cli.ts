import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { describe } from '@pigeon/signal';
import { Bridge } from './serve/bridge.ts';
import { Carry } from './carry/carry.ts';
import { BridgeProcessError } from './core/errors.ts';
import type { BridgeEvent, Emit } from './core/events.ts';
import { HELP, parseOptions } from './cli/options.ts';
import { ParentWatch } from './cli/parent.ts';
import { statusLine } from './cli/render.ts';

/** The process's streams, passed in so tests can run the bridge in-process. */
export interface BridgeIo {
  argv: string[];
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Ends the run; SIGINT/SIGTERM when not given. */
  signal?: AbortSignal;
}

/** Set by scripts/build-bridge-exe.sh (esbuild --define): a single executable has no package.json beside it. */
declare const PIGEON_BRIDGE_VERSION: string | undefined;

function bridgeVersion(): string {
  if (typeof PIGEON_BRIDGE_VERSION === 'string') return PIGEON_BRIDGE_VERSION;
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** SIGINT/SIGTERM end a run cleanly: every viewer says goodbye to the agent, exit 0. */
function processSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = (name: string) => () => controller.abort(`the bridge was stopped by ${name}`);
  process.once('SIGINT', stop('SIGINT'));
  process.once('SIGTERM', stop('SIGTERM'));
  return controller.signal;
}

/** Runs the bridge until it is told to stop. Returns the exit code; never throws for expected errors. */
export async function main(partial: Partial<BridgeIo> = {}): Promise<number> {
  const io: BridgeIo = {
    argv: partial.argv ?? process.argv.slice(2),
    stdin: partial.stdin ?? process.stdin,
    stdout: partial.stdout ?? process.stdout,
    stderr: partial.stderr ?? process.stderr,
    ...(partial.signal ? { signal: partial.signal } : {}),
  };
  try {
    const options = parseOptions(io.argv);
    if (options.help) return (io.stdout.write(HELP), 0);
    if (options.version) return (io.stdout.write(`${bridgeVersion()}\n`), 0);
    const emit: Emit = options.json
      ? (event: BridgeEvent) => io.stdout.write(`${JSON.stringify({ ...event, time: new Date().toISOString() })}\n`)
      : (event: BridgeEvent) => io.stderr.write(`pigeon-bridge: ${statusLine(event)}\n`);
    const signal = io.signal ?? processSignal();
    const { bridge, url } = await Bridge.start(options, emit, bridgeVersion());
    io.stdout.write(`${url}\n`);
    const carried = options.carry.length > 0 ? await startCarry(options.carry, options.allowedOrigins, emit, bridge) : undefined;
    if (carried) {
      io.stdout.write(`${carried.url}\n`);
      emit({ type: 'carrying', url: carried.url, command: options.carry });
    }
    emit({ type: 'listening', url, pid: process.pid });
    const parentGone = new AbortController();
    const parent = new ParentWatch(io.stdin);
    parent.on('gone', (why) => parentGone.abort(`the bridge stopped: ${why}`));
    const reason = await firstAbort([signal, parentGone.signal]);
    parent.stop();
    await carried?.carry.stop();
    await bridge.stop(reason);
    emit({ type: 'stopped', reason });
    return 0;
  } catch (error) {
    return report(error, io);
  }
}

/** The carrier (--carry), or the bridge stopped again when it cannot start. */
async function startCarry(command: readonly string[], allowedOrigins: readonly string[], emit: Emit, bridge: Bridge): Promise<{ carry: Carry; url: string }> {
  try {
    return await Carry.start(command, { allowedOrigins }, emit);
  } catch (error) {
    await bridge.stop('the carrier could not start');
    throw error;
  }
}

/** Why the first of `signals` aborted, once one has. */
function firstAbort(signals: AbortSignal[]): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of signals) {
      if (signal.aborted) return resolve(String(signal.reason));
      signal.addEventListener('abort', () => resolve(String(signal.reason)), { once: true });
    }
  });
}

function report(error: unknown, io: BridgeIo): number {
  if (error instanceof BridgeProcessError && error.code === 'E_USAGE') {
    io.stderr.write(`pigeon-bridge: ${error.message}\n\nRun "pigeon-bridge --help" for the options.\n`);
    return 2;
  }
  // node:util parseArgs reports bad flags with a code of its own.
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`pigeon-bridge: ${(error as Error).message}\n\nRun "pigeon-bridge --help" for the options.\n`);
    return 2;
  }
  const described = describe(error);
  if (described.known) {
    io.stderr.write(`pigeon-bridge: ${described.code}: ${described.message}\n`);
    return 1;
  }
  io.stderr.write(`pigeon-bridge: unexpected error (a bug; please report it):\n${error instanceof Error ? error.stack : String(error)}\n`);
  return 70;
}
