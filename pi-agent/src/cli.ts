import { readFileSync } from 'node:fs';
import { isSignalError } from '../../src/signal/index.ts';
import { BLOB_HELP, blobCommand } from './blob-command.ts';
import { AgentError } from './errors.ts';
import type { Io } from './io.ts';

const HELP = `Usage: pi-agent <command> [options]

Pigeon's Raspberry Pi side: streams a camera to browsers over WebRTC with no signaling
server. Offers and answers travel as QR codes or short "pigeon:" text blobs.

Commands:
  blob encode|decode|qr   the offer/answer codec, for scripts and checking (see: pi-agent blob --help)

Options:
  -h, --help      this help
  -v, --version   print the version

Streaming commands (offer, answer) are not in this build yet.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs one command. Returns the exit code; never throws for expected errors. */
export async function main(partial: Partial<Io> = {}): Promise<number> {
  const io: Io = {
    argv: partial.argv ?? process.argv.slice(2),
    env: partial.env ?? process.env,
    stdin: partial.stdin ?? process.stdin,
    stdout: partial.stdout ?? process.stdout,
    stderr: partial.stderr ?? process.stderr,
  };
  const [command, ...rest] = io.argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      case '-v':
      case '--version':
        io.stdout.write(`${version()}\n`);
        return 0;
      case 'blob':
        return await blobCommand(rest, io);
      default:
        throw new AgentError('E_USAGE', `unknown command "${command}". Run "pi-agent --help".`);
    }
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  if (isSignalError(error)) {
    io.stderr.write(`pi-agent: ${error.code}: ${error.message}\n`);
    return 1;
  }
  if (error instanceof AgentError) {
    io.stderr.write(`pi-agent: ${error.message}\n`);
    if (error.code === 'E_USAGE' && io.argv[0] === 'blob') io.stderr.write(`\n${BLOB_HELP}`);
    return error.code === 'E_USAGE' ? 2 : 1;
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
