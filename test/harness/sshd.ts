import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/*
 * Debian's OpenSSH server on a loopback port, for the ssh carrier tests: a host key and a user
 * key made here with ssh-keygen in a temp dir, root let in by that key only, nothing of the
 * machine's own ssh set-up read or changed. `command` is the ssh client's argv for a remote
 * command through it, as a desktop app would run `ssh pi@robot …`.
 */
const SSHD = '/usr/sbin/sshd';

/** Why the tests cannot run here, or false. */
export function sshdUnavailable(): string | false {
  for (const path of [SSHD, '/usr/bin/ssh', '/usr/bin/ssh-keygen']) if (!existsSync(path)) return `${path} is missing (apt-get install openssh-server openssh-client)`;
  if (process.getuid?.() !== 0) return 'sshd needs root here (it runs as root with a test config on a loopback port)';
  return false;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

function keygen(path: string): void {
  const run = spawnSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pigeon-test', '-f', path], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ssh-keygen failed: ${run.stderr}`);
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export class TestSshd {
  log = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
    readonly exited: Promise<number | null>,
  ) {}

  static async start(): Promise<TestSshd> {
    const dir = await mkdtemp(join(tmpdir(), 'pigeon-sshd-'));
    keygen(join(dir, 'host_key'));
    keygen(join(dir, 'user_key'));
    await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'user_key.pub')));
    // sshd's privilege separation directory; Debian's package makes it at boot, a container may not have it.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const port = await freePort();
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The temp dir is the test's, not a home directory sshd would check the modes of.
      'StrictModes no',
      'PrintMotd no',
      'LogLevel VERBOSE',
    ].join('\n');
    await writeFile(join(dir, 'sshd_config'), `${config}\n`);
    const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const sshd = new TestSshd(dir, port, child, exited);
    child.stderr?.on('data', (chunk: Buffer) => (sshd.log = (sshd.log + chunk.toString()).slice(-20_000)));
    const deadline = Date.now() + 15_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await sshd.stop();
        throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${sshd.log}`);
      }
      await sleep(50);
    }
    return sshd;
  }

  /** The ssh client's argv running `remote` as root through this server, as `ssh pi@robot remote…`. */
  command(remote: readonly string[], key = join(this.dir, 'user_key')): string[] {
    return [
      '/usr/bin/ssh',
      '-p', String(this.port),
      '-i', key,
      '-o', 'IdentitiesOnly=yes',
      '-o', 'StrictHostKeyChecking=no',
      '-o', `UserKnownHostsFile=${join(this.dir, 'known_hosts')}`,
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=10',
      '-F', '/dev/null',
      'root@127.0.0.1',
      ...remote,
    ];
  }

  /** Every process under this sshd now (its sessions and what they run), to check later that they went. */
  descendants(): number[] {
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // pid (comm) state ppid …; comm may hold spaces and parentheses, so read after the last ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // Gone meanwhile.
      }
    }
    const found: number[] = [];
    const walk = (pid: number): void => {
      for (const [child, parent] of parents) {
        if (parent !== pid) continue;
        found.push(child);
        walk(child);
      }
    };
    if (this.child.pid !== undefined) walk(this.child.pid);
    return found;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
    await rm(this.dir, { recursive: true, force: true });
  }
}
