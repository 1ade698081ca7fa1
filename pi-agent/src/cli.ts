import { readFileSync } from 'node:fs';
import { describe } from '@pigeon/signal';
import { BLOB_HELP, blobCommand } from './cli/blob-command.ts';
import { checkConfig, withConfig } from './cli/config-file.ts';
import { AgentError } from './core/errors.ts';
import type { Io } from './core/io.ts';
import { STREAM_HELP, parseStreamOptions } from './cli/options.ts';
import { stream } from './session/stream.ts';
import { PACKAGE_DIR } from './package-dir.ts';

const HELP = `Usage: pi-agent <command> [options]

Pigeon's Raspberry Pi side: streams a camera to browsers over WebRTC with no signaling
server. Offers and answers travel as QR codes or short "pigeon:" text blobs.

Commands:
  offer                   (the default) stream; show offers as QR codes, read the answers
  answer                  stream; read a browser's offer, show the answer
  blob encode|decode|qr   the offer/answer codec, for scripts and checking
  check-config FILE       check a boot config file (key = value; docs/boot.md) and print its flags

Run "pi-agent offer --help" or "pi-agent blob --help" for their options.

  -h, --help      this help
  -v, --version   print the version
`;

function agentVersion(): string {
  return (JSON.parse(readFileSync(new URL('package.json', PACKAGE_DIR), 'utf8')) as { version: string }).version;
}

/**
 * SIGINT/SIGTERM end a run cleanly: peers closed, pipeline stopped, exit 0. So do SIGHUP (the terminal
 * closed) and a stdout whose reader went away (EPIPE: the ssh session that carried the agent's events
 * ended), rather than the process dying at its next write with its viewers never told.
 */
function processSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = (name: string) => () => controller.abort(name);
  process.once('SIGINT', stop('SIGINT'));
  process.once('SIGTERM', stop('SIGTERM'));
  process.once('SIGHUP', stop('SIGHUP'));
  for (const [name, output] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
    output.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') controller.abort(`${name} closed`);
      else throw error;
    });
  }
  return controller.signal;
}

/** Runs one command. Returns the exit code; never throws for expected errors. */
export async function main(partial: Partial<Io> = {}): Promise<number> {
  const io: Io = {
    argv: partial.argv ?? process.argv.slice(2),
    env: partial.env ?? process.env,
    stdin: partial.stdin ?? process.stdin,
    stdout: partial.stdout ?? process.stdout,
    stderr: partial.stderr ?? process.stderr,
    ...(partial.signal ? { signal: partial.signal } : {}),
  };
  const [command, ...rest] = io.argv;
  try {
    switch (command) {
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(HELP);
        return 0;
      case '-v':
      case '--version':
        io.stdout.write(`${agentVersion()}\n`);
        return 0;
      case 'blob':
        return await blobCommand(rest, io);
      case 'check-config': {
        const { args } = await checkConfig(rest[0]);
        io.stdout.write(`${rest[0]}: ok; the agent runs as: pi-agent offer ${args.join(' ')}\n`);
        return 0;
      }
      case undefined:
      case 'offer':
      case 'answer': {
        const options = parseStreamOptions(await withConfig(rest));
        if (options.help) {
          io.stdout.write(STREAM_HELP);
          return 0;
        }
        return await stream(command ?? 'offer', options, io, io.signal ?? processSignal());
      }
      default:
        throw new AgentError('E_USAGE', `unknown command "${command}". Run "pi-agent --help".`);
    }
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  if (error instanceof AgentError && error.code === 'E_USAGE') {
    io.stderr.write(`pi-agent: ${error.message}\n`);
    io.stderr.write(io.argv[0] === 'blob' ? `\n${BLOB_HELP}` : '\nRun "pi-agent --help" for the options.\n');
    return 2;
  }
  const described = describe(error);
  if (described.known) {
    io.stderr.write(`pi-agent: ${described.code}: ${described.message}\n`);
    return 1;
  }
  // node:util parseArgs reports bad flags with a code of its own.
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`pi-agent: ${(error as Error).message}\n`);
    return 2;
  }
  io.stderr.write(`pi-agent: unexpected error (a bug; please report it):\n${error instanceof Error ? error.stack : String(error)}\n`);
  return 70;
}
