import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/*
 * Pigeon's packages as someone else gets them: `npm pack` of a package folder (its prepack
 * builds what it ships), and `npm install` of the tarballs in a folder of their own, preferring
 * the local npm cache so that it works offline once the cache holds the dependencies.
 */
const run = promisify(execFile);

/** What `npm pack --json` says of one tarball. */
export interface Packed {
  /** The tarball's path. */
  file: string;
  name: string;
  /** Bytes: the tarball, and its files unpacked. */
  size: number;
  unpackedSize: number;
  entryCount: number;
}

/** `npm pack` of the package in `dir` into `into`. */
export async function npmPack(dir: string, into: string): Promise<Packed> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', into], { cwd: dir, maxBuffer: 16 << 20 });
  // prepack's own output may precede the JSON.
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as { filename: string; name: string; size: number; unpackedSize: number; entryCount: number }[];
  if (!packed) throw new Error(`npm pack in ${dir} said nothing of a tarball: ${stdout}`);
  return { file: `${into}/${packed.filename}`, name: packed.name, size: packed.size, unpackedSize: packed.unpackedSize, entryCount: packed.entryCount };
}

/** `npm install` of `specs` (tarball paths, or name@range) in `dir`, from the cache where it can. */
export async function npmInstall(dir: string, specs: readonly string[], options: { dev?: boolean } = {}): Promise<void> {
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...(options.dev ? ['--save-dev'] : []), ...specs], { cwd: dir, maxBuffer: 16 << 20 });
}
