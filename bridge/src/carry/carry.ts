import { randomBytes } from 'node:crypto';
import { CarriedAgent } from './carried-agent.ts';
import { CarryLinks } from './carry-link.ts';
import type { Emit } from '../core/events.ts';
import { PageSocketServer } from '../serve/page-socket-server.ts';

/**
 * `pigeon-bridge --carry -- COMMAND…`: the carrier's parts built in dependency order: the carried
 * command (an ssh session running the agent, usually), the links that hand its blobs to pages and
 * theirs to it, then a loopback WebSocket server of its own (same access rules as the bridge's,
 * its own secret) that lets pages in. The page may do WebRTC natively: the carrier only carries
 * offers and answers, whichever transport plays the video.
 */
export class Carry {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly agent: CarriedAgent,
    private readonly server: PageSocketServer,
  ) {}

  static async start(
    command: readonly string[],
    options: { allowedOrigins: readonly string[]; env?: NodeJS.ProcessEnv; firstEventMs?: number },
    emit: Emit,
  ): Promise<{ carry: Carry; url: string }> {
    const secret = randomBytes(24).toString('base64url');
    const agent = CarriedAgent.start(command, options);
    const links = new CarryLinks(agent);
    const server = new PageSocketServer({ port: 0, secret, allowedOrigins: options.allowedOrigins });
    // Every subscription between the parts.
    agent.on('offer', (offer) => links.offered(offer));
    agent.on('answer', (answer) => links.answered(answer));
    agent.on('refused', (code, reason) => links.refused(code, reason));
    agent.on('failed', (error) => links.failed(error));
    links.on('report', emit);
    server.on('report', emit);
    server.on('page', (socket) => links.add(socket));
    const carry = new Carry(agent, server);
    try {
      const port = await server.listen();
      return { carry, url: `ws://127.0.0.1:${port}/${secret}` };
    } catch (error) {
      await carry.stop();
      throw error;
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.agent.stop().then(() => this.server.close());
    return this.stopping;
  }
}
