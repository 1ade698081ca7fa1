import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { main } from '../../pi-agent/src/cli.ts';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with the given stdin, the way the bin does. */
export async function runCli(argv: string[], stdin: string | Buffer = ''): Promise<Run> {
  const input = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  input.end(stdin);
  const code = await main({ argv, env: {}, stdin: input, stdout, stderr });
  return { code, stdout: out, stderr: err };
}

/** Runs the installed bin as a person would, through npx, from the repo root. */
export function runBin(argv: string[], stdin = ''): Run {
  const result = spawnSync('npx', ['--no-install', 'pi-agent', ...argv], {
    input: stdin,
    encoding: 'utf8',
    cwd: new URL('../..', import.meta.url),
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
