import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/*
 * Two network namespaces joined by a veth pair, for tests of a changing network: the agent in one,
 * the browser in the other, on addresses that exist only inside them, so the host's own
 * interfaces are never touched. Needs root and iproute2 (`ip`). Names are unique per run; destroy()
 * deletes both namespaces, which takes the veth pair with them.
 *
 * The interfaces are not named veth*: werift (like Chromium's own list) leaves interfaces of that
 * name out of its host candidates, taking them for containers' links.
 */

/** iproute2's `ip`, by its full path: puppeteer wants one for the command it launches. */
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((path) => existsSync(path)) ?? 'ip';

/**
 * Why namespaces cannot be made here, or undefined when they can: tried for real with one made
 * and deleted at once, since root in a container without CAP_SYS_ADMIN cannot either.
 */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (ip netns add)';
  const probe = `pigeon-${process.pid}-probe`;
  try {
    execFileSync(IP, ['netns', 'add', probe], { stdio: 'pipe' });
  } catch (error) {
    const why = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    return `cannot create a network namespace with \`ip netns add\` (iproute2 missing, or no permission here): ${why}`;
  }
  execFileSync(IP, ['netns', 'del', probe], { stdio: 'ignore' });
  return undefined;
}

export class NetnsPair {
  /** The subnet's first three octets; each address given to add/remove is `${SUBNET}.n`. */
  static readonly SUBNET = '10.99.0';
  readonly agentNs: string;
  readonly viewerNs: string;
  readonly agentLink: string;
  private readonly viewerLink: string;
  private made: string[] = [];

  /** `prefix` names the namespaces, e.g. after the branch whose tests make them. */
  constructor(tag = `${process.pid}`, prefix = 'pigeon') {
    this.agentNs = `${prefix}-${tag}-agent`;
    this.viewerNs = `${prefix}-${tag}-viewer`;
    // Interface names hold at most 15 characters.
    this.agentLink = `pga${tag}`.slice(0, 15);
    this.viewerLink = `pgv${tag}`.slice(0, 15);
  }

  /** Both namespaces, the link between them up, the agent on .1 and the viewer on .2. */
  create(): void {
    for (const ns of [this.agentNs, this.viewerNs]) {
      ip('netns', 'add', ns);
      this.made.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('-n', this.agentNs, 'link', 'add', this.agentLink, 'type', 'veth', 'peer', 'name', this.viewerLink, 'netns', this.viewerNs);
    this.addAgentAddress(1);
    ip('-n', this.viewerNs, 'addr', 'add', `${NetnsPair.SUBNET}.2/24`, 'dev', this.viewerLink);
    ip('-n', this.agentNs, 'link', 'set', this.agentLink, 'up');
    ip('-n', this.viewerNs, 'link', 'set', this.viewerLink, 'up');
  }

  /** Runs a command inside a namespace: the prefix for AgentProcess and launchChromium's `wrap`. */
  static wrap(ns: string): string[] {
    return [IP, 'netns', 'exec', ns];
  }

  addAgentAddress(host: number): void {
    ip('-n', this.agentNs, 'addr', 'add', `${NetnsPair.SUBNET}.${host}/24`, 'dev', this.agentLink);
  }

  removeAgentAddress(host: number): void {
    ip('-n', this.agentNs, 'addr', 'del', `${NetnsPair.SUBNET}.${host}/24`, 'dev', this.agentLink);
  }

  /** The agent's addresses made exactly `${SUBNET}.h` for each of `hosts`: what a test puts back however it ended. */
  setAgentAddresses(hosts: number[]): void {
    const want = hosts.map((h) => `${NetnsPair.SUBNET}.${h}`);
    for (const address of this.agentAddresses()) if (!want.includes(address)) this.removeAgentAddress(Number(address.split('.').at(-1)));
    const have = this.agentAddresses();
    for (const host of hosts) if (!have.includes(`${NetnsPair.SUBNET}.${host}`)) this.addAgentAddress(host);
  }

  /** The link between them down (no packet either way; addresses stay, carriers drop) or up again. */
  linkUp(up: boolean): void {
    ip('-n', this.viewerNs, 'link', 'set', this.viewerLink, up ? 'up' : 'down');
  }

  /** The agent's IPv4 addresses now. */
  agentAddresses(): string[] {
    return [...ip('-n', this.agentNs, '-4', '-o', 'addr', 'show', 'dev', this.agentLink).matchAll(/inet (\S+)\//g)].map((m) => m[1]!);
  }

  /** Deletes what create() made, as far as it got; safe to call twice. */
  destroy(): void {
    for (const ns of this.made.splice(0)) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // Gone already.
      }
    }
  }
}

function ip(...args: string[]): string {
  return execFileSync(IP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
