import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where `command` is on env.PATH, or undefined; a command with a slash is taken as it is. */
function which(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates = command.includes('/') ? [command] : (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, command));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Spawns a child that the kernel kills when this process dies, even by SIGKILL or the OOM killer,
 * which no exit hook survives: util-linux's `setpriv --pdeathsig KILL` (in Debian's and Raspberry
 * Pi OS's essential util-linux) sets PR_SET_PDEATHSIG, then execs the command, so the child keeps
 * its pid, stdio and extra pipes.
 *
 * The death signal follows the *thread* that forked, so this must be called from the main
 * thread (Node's spawn forks from the calling thread), not from a worker that may end first.
 * Without setpriv the command is spawned as is, and only the owner's exit hook stands guard.
 * A command that is not on PATH is spawned as is too, so it fails with spawn's own ENOENT
 * rather than with setpriv's exit code.
 */
export function spawnTied(command: string, args: readonly string[], options: SpawnOptions & { env: NodeJS.ProcessEnv }): ChildProcess {
  const setpriv = which(command, options.env) === undefined ? undefined : which('setpriv', options.env);
  if (setpriv === undefined) return spawn(command, args, options);
  // setpriv looks the command up on the same PATH, so the child's argv (and `ps`) stay as they were.
  return spawn(setpriv, ['--pdeathsig', 'KILL', '--', command, ...args], options);
}
