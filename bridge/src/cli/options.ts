import { parseArgs } from 'node:util';
import { BridgeProcessError } from '../core/errors.ts';

export interface BridgeOptions {
  help: boolean;
  version: boolean;
  json: boolean;
  /** 0: a free port the system picks. */
  port: number;
  allowedOrigins: string[];
  /** How long a viewer whose page went away waits for a page to attach it again. */
  lingerMs: number;
  /** --carry: the command after `--` whose agent's offers and answers the bridge carries (empty: none). */
  carry: string[];
}

export const HELP = `Usage: pigeon-bridge [options] [--carry -- COMMAND…]

Pigeon's bridge for pages without WebRTC (Tauri's webview on Linux): it answers the Pi's offer
(or offers, for Reconnect and for pi-agent answer) with its own WebRTC peer and hands the page
the Pi's video and data-channel messages over a WebSocket on 127.0.0.1. The first line on stdout is its URL, secret included:

  ws://127.0.0.1:PORT/SECRET

Open the page as dist/index.html?bridge=<that URL, URL-encoded>. Only this machine, only with
the secret, and only pages from disk, Tauri or localhost (or --allow-origin) get in.
It stops on Ctrl-C or SIGTERM, and when the process that started it exits.

Options:
  --port N              listen on this port (default: a free one)
  --allow-origin ORIGIN also let pages from ORIGIN in (repeatable), e.g. https://pi.local:8443
  --linger SECONDS      how long a viewer whose page went away waits for it to come back (default 30)
  --carry -- COMMAND…   also run COMMAND (e.g. ssh pi@robot pi-agent offer --json) and carry
                        its agent's offers and answers to and from pages, with no hands: the
                        second line on stdout is the carry link's URL (docs/carriers.md)
  --json                one JSON event per line on stdout after the URL(s), for programs
  -h, --help            this help
  -v, --version         print the version

See docs/bridge.md for the protocol.
`;

function integer(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new BridgeProcessError('E_USAGE', `--${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

function origin(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\s]*$/i.test(value) && value !== 'null') {
    throw new BridgeProcessError('E_USAGE', `--allow-origin takes an origin such as https://example.local:8443 (scheme, host, port; no path), not "${value}"`);
  }
  return value;
}

export function parseOptions(argv: string[]): BridgeOptions {
  // Everything after the first `--` is the carried command's own argv, not ours to read.
  const split = argv.indexOf('--');
  const command = split < 0 ? [] : argv.slice(split + 1);
  const { values } = parseArgs({
    args: split < 0 ? argv : argv.slice(0, split),
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      linger: { type: 'string' },
      json: { type: 'boolean', default: false },
      carry: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
  if (values.carry && command.length === 0) throw new BridgeProcessError('E_USAGE', '--carry needs the command after "--", e.g. --carry -- ssh pi@robot pi-agent offer --json');
  if (!values.carry && split >= 0) throw new BridgeProcessError('E_USAGE', `a command after "--" is for --carry, which was not given (${command.join(' ')})`);
  return {
    help: values.help ?? false,
    version: values.version ?? false,
    json: values.json ?? false,
    port: integer(values.port, 'port', 0, 65535, 0),
    allowedOrigins: (values['allow-origin'] ?? []).map(origin),
    lingerMs: integer(values.linger, 'linger', 0, 86_400, 30) * 1000,
    carry: command,
  };
}
