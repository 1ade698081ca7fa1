import { PigeonError } from '@pigeon/signal';

/** What can go wrong carrying blobs over another program's stdio (`--carry -- ssh pi@robot pi-agent …`). */
export type CarryErrorCode =
  | 'E_CARRY_START' // the command could not be started (not installed, not executable)
  | 'E_SSH_AUTH' // ssh reached the host but was not let in (key refused, host key changed)
  | 'E_SSH_UNREACHABLE' // ssh could not reach the host
  | 'E_AGENT_NOT_FOUND' // the remote shell has no such command (pi-agent not installed or not on PATH)
  | 'E_CARRY_EXIT' // the command ended: the agent stopped, or failed for a reason of its own
  | 'E_CARRY_SILENT' // the command said nothing the carrier understands within its bound
  | 'E_CARRY_MESSAGE'; // a page's message over the carry link was not one the carrier takes

export class CarryError extends PigeonError<CarryErrorCode> {
  override readonly name = 'CarryError';
}

/** The last few lines of what the command wrote on stderr, for an error's message. */
function tail(stderr: string): string {
  const lines = stderr.trim().split('\n').slice(-6).join('\n');
  return lines === '' ? '' : `: ${lines.slice(-1500)}`;
}

/**
 * Why the carried command ended, in words a person can act on. ssh says why it gave up on stderr
 * and exits 255; a remote shell without the command exits 127; anything else is the agent's own
 * exit, whose stderr says why.
 */
export function exitFailure(command: readonly string[], code: number | null, signal: string | null, stderr: string): CarryError {
  const name = command[0] ?? 'the command';
  const said = tail(stderr);
  if (/Permission denied|Host key verification failed|Too many authentication failures|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(stderr)) {
    return new CarryError('E_SSH_AUTH', `${name} could not log in (check the key, the user and the host key)${said}`);
  }
  if (code === 255 && /Connection refused|No route to host|Could not resolve hostname|timed out|Network is unreachable|Connection closed by|Connection reset/i.test(stderr)) {
    return new CarryError('E_SSH_UNREACHABLE', `${name} could not reach the host${said}`);
  }
  if (code === 127 || /command not found|No such file or directory|Cannot find module/i.test(stderr)) {
    return new CarryError('E_AGENT_NOT_FOUND', `the agent was not found where ${name} ran it (is pi-agent installed and on PATH there?)${said}`);
  }
  const how = signal ? `was ended by ${signal}` : `exited with code ${code ?? '?'}`;
  return new CarryError('E_CARRY_EXIT', `${name} ${how}${said}`);
}
