/**
 * The systemd unit as shipped: systemd-analyze verify, and its ExecStart line run the way
 * systemd would run it (its user, group, supplementary groups, umask, environment, runtime and
 * cache directories), with a login user in the pigeon group writing the answer file as the README
 * says. systemd itself does not run here (no PID 1 manager), so the test does what the unit asks.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { agentRig } from '../harness/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const UNIT = join(ROOT, 'pi-agent/systemd/pigeon-agent.service');
/** The login user of the README's `ssh pi@… 'cat > /run/pigeon/answer'`, made for the test. */
const LOGIN = 'pigeon-test-pi';
const rig = agentRig();

/** `Section.Key` -> every value given, in order (Environment= may repeat). */
function parseUnit(text: string): Map<string, string[]> {
  const unit = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    const key = `${section}.${line.slice(0, eq)}`;
    unit.set(key, [...(unit.get(key) ?? []), line.slice(eq + 1)]);
  }
  return unit;
}

function one(unit: Map<string, string[]>, key: string): string {
  const values = unit.get(key);
  assert.equal(values?.length, 1, `${key}= once in the unit`);
  return values[0]!;
}

const sh = (command: string): string => execFileSync('sh', ['-c', command], { encoding: 'utf8' }).trim();
const exists = (kind: 'passwd' | 'group', name: string): boolean => spawnSync('getent', [kind, name]).status === 0;

test('systemd-analyze verify accepts the unit, with no warning', () => {
  const run = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
  assert.notEqual(run.error?.message.includes('ENOENT'), true, 'systemd-analyze is installed (./pigeon test installs systemd)');
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr.trim(), '');
});

/** The README's users and groups, made if missing; what was made is removed after the test. */
function usersAsInReadme(t: TestContext, user: string, groups: string[]): void {
  const undo: string[][] = [];
  for (const group of groups) {
    if (exists('group', group)) continue;
    // render comes from udev on a real Pi; a container may lack it.
    sh(`groupadd --system ${group}`);
    undo.push(['groupdel', group]);
  }
  if (!exists('passwd', user)) {
    sh(`useradd --system --user-group --groups ${groups.join(',')} ${user}`);
    undo.push(['userdel', user], ['groupdel', user]);
  }
  if (!exists('passwd', LOGIN)) {
    sh(`useradd --user-group --no-create-home ${LOGIN}`);
    undo.push(['userdel', LOGIN]);
  }
  sh(`usermod --append --groups ${user} ${LOGIN}`);
  // Newest first: the login user leaves the pigeon group before that group can go.
  t.after(() => {
    for (const [command, name] of undo.reverse()) spawnSync(command!, [name!], { stdio: 'ignore' });
  });
}

test('the unit\'s ExecStart as its user: offer on the tty, registry cached, answer written by the login user', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root, to create the unit\'s user and switch to it');
  const unit = parseUnit(readFileSync(UNIT, 'utf8'));
  const user = one(unit, 'Service.User');
  const group = one(unit, 'Service.Group');
  const supplementary = one(unit, 'Service.SupplementaryGroups').split(/\s+/);
  usersAsInReadme(t, user, supplementary);

  // The directories systemd makes: /run/<RuntimeDirectory> and /var/cache/<CacheDirectory>.
  const base = mkdtempSync(join(tmpdir(), 'pigeon-unit-'));
  chmodSync(base, 0o755);
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const uid = Number(sh(`id -u ${user}`));
  const gid = Number(sh(`getent group ${group} | cut -d: -f3`));
  const runRoot = join(base, 'run');
  const cacheRoot = join(base, 'cache');
  const runtime = join(runRoot, one(unit, 'Service.RuntimeDirectory'));
  const cache = join(cacheRoot, one(unit, 'Service.CacheDirectory'));
  for (const [dir, mode] of [
    [runtime, Number.parseInt(one(unit, 'Service.RuntimeDirectoryMode'), 8)],
    [cache, 0o755],
  ] as const) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, mode);
    chownSync(dir, uid, gid);
  }
  chmodSync(runRoot, 0o755);
  chmodSync(cacheRoot, 0o755);
  // /etc/pigeon/agent.conf as the README installs it: the shipped one, readable by the unit's user.
  const etc = join(base, 'etc');
  mkdirSync(etc);
  chmodSync(etc, 0o755);
  copyFileSync(join(ROOT, 'pi-agent/systemd/agent.conf'), join(etc, 'agent.conf'));
  chmodSync(join(etc, 'agent.conf'), 0o644);
  const where = (text: string): string =>
    text.replaceAll('%C', cacheRoot).replaceAll('%t', runRoot).replaceAll('/run/pigeon', runtime).replaceAll('/opt/pigeon', ROOT).replaceAll('/etc/pigeon', etc);

  // The environment systemd gives a system service, plus the unit's own.
  const passwd = sh(`getent passwd ${user}`).split(':');
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    USER: user,
    LOGNAME: user,
    HOME: passwd[5],
    SHELL: passwd[6],
    RUNTIME_DIRECTORY: runtime,
    CACHE_DIRECTORY: cache,
  };
  for (const assignment of unit.get('Service.Environment') ?? []) {
    const [key, ...value] = where(assignment).split('=');
    env[key!] = value.join('=');
  }
  assert.ok(!existsSync(env.HOME!), `the system user has no home (${env.HOME}), which is why the unit gives GStreamer a registry`);
  assert.ok(env.GST_REGISTRY?.startsWith(`${cache}/`), 'GST_REGISTRY is in the cache directory');

  const exec = where(one(unit, 'Service.ExecStart')).split(' ');
  const umask = one(unit, 'Service.UMask');
  const groups = supplementary.map((g) => sh(`getent group ${g} | cut -d: -f3`)).join(',');
  // On a Pi the checkout is /opt/pigeon, readable by all; a checkout under a private folder (mktemp -d
  // makes mode 700) is not, and the agent would die loading its modules, so say that instead.
  const readable = spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--groups', groups, '--', 'test', '-r', join(ROOT, 'pi-agent/src/cli.ts')]);
  if (readable.status !== 0) {
    return t.skip(`the unit's user ${user} cannot read this checkout (${ROOT}): a folder above it is private (mode 700?); clone where others can read, as /opt/pigeon is`);
  }
  // setpriv does what User=, Group= and SupplementaryGroups= do; sh sets UMask=.
  const agent = spawn(
    'setpriv',
    ['--reuid', String(uid), '--regid', String(gid), '--groups', groups, '--', 'sh', '-c', `umask ${umask} && exec "$@"`, 'sh', ...exec],
    { cwd: where(one(unit, 'Service.WorkingDirectory')), env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let tty = '';
  let journal = '';
  agent.stdout.on('data', (chunk: Buffer) => (tty += chunk.toString()));
  agent.stderr.on('data', (chunk: Buffer) => (journal += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => agent.on('exit', resolve));
  t.after(() => agent.kill('SIGKILL'));
  const waitFor = async (what: string, ok: () => boolean, ms = 30_000): Promise<void> => {
    const until = Date.now() + ms;
    while (!ok() && Date.now() < until && agent.exitCode === null) await sleep(50);
    assert.ok(ok(), `${what} within ${ms} ms; tty: ${tty.slice(-300)}; journal: ${journal}`);
  };

  await waitFor('an offer on the tty', () => /^pigeon:\S+$/m.test(tty));
  assert.ok(tty.startsWith('\x1b[9;0]\x1b[14;0]\x1b[2J\x1b[H'), 'the console\'s blanking is turned off, then --clear clears the screen before the QR');
  assert.match(journal, /stdin is not open \(e\.g\. under systemd\): answers reach the agent through .*\/answer \(write the "pigeon:" answer into it\)/);
  assert.doesNotMatch(journal, /paste/, 'StandardInput=null: nothing asks for a paste');
  assert.match(tty, /█▀▀▀▀▀█|█ ▄▄▄▄▄ █/, 'a QR code in half blocks');
  const offerText = /^pigeon:\S+$/m.exec(tty)![0];
  await waitFor('the offer PNG in the runtime directory', () => existsSync(join(runtime, 'offer.png')));
  assert.equal(statSync(join(runtime, 'offer.png')).mode & 0o777, 0o660, 'the offer PNG: the pigeon group may read it, others not');
  assert.ok(existsSync(env.GST_REGISTRY!), 'GStreamer wrote its registry into the cache directory');
  assert.equal(statSync(env.GST_REGISTRY!).uid, uid);

  // The login user, in the pigeon group, answers the way the README says (cat > …/answer).
  const viewer = await rig.chromium().newPeer();
  const sdp = await viewer.acceptOffer(decodeBlob(offerText).sdp);
  const answer = encodeBlob({ type: 'answer', sdp }, { offerId: decodeBlob(offerText).offerId }).text;
  const write = spawnSync('setpriv', ['--reuid', LOGIN, '--regid', LOGIN, '--init-groups', '--', 'sh', '-c', `cat > ${join(runtime, 'answer')}`], {
    input: `${answer}\n`,
    encoding: 'utf8',
  });
  assert.equal(write.status, 0, `the login user may write the answer file: ${write.stderr}`);
  await waitFor('the viewer joining', () => /viewer #\d+ joined/.test(journal));
  await viewer.close();

  // KillSignal=SIGINT: a clean stop.
  assert.equal(one(unit, 'Service.KillSignal'), 'SIGINT');
  agent.kill('SIGINT');
  assert.equal(await exited, 0, journal);
  assert.match(journal, /stopped \(SIGINT\)/);
});
