import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Emit } from '../core/events.ts';
import type { BridgeOptions } from '../cli/options.ts';
import { PageLink } from './page-link.ts';
import { PageSocketServer } from './page-socket-server.ts';
import { BridgeViewers } from './bridge-viewers.ts';

/**
 * One run of the bridge, built in dependency order: the viewers (each an engine peer of the Pi),
 * then the loopback server whose pages use them, and subscribed to each other here: the parts
 * emit, this session listens. `stop` says goodbye to the agent for every viewer before the
 * sockets close.
 */
export class Bridge {
  private readonly viewers: BridgeViewers;
  private readonly server: PageSocketServer;
  private readonly secret = randomBytes(24).toString('base64url'); // nobody guesses it; 32 URL-safe characters
  private pages = 0;
  private stopping: Promise<void> | undefined;

  private constructor(
    options: Pick<BridgeOptions, 'port' | 'allowedOrigins' | 'lingerMs'>,
    private readonly emit: Emit,
    private readonly version: string,
  ) {
    this.viewers = new BridgeViewers(options.lingerMs);
    this.server = new PageSocketServer({ port: options.port, secret: this.secret, allowedOrigins: options.allowedOrigins });
    // Every subscription between the parts: each part's reports go out as they are, and each page let in gets its link.
    this.viewers.on('report', emit);
    this.server.on('report', emit);
    this.server.on('page', (socket, origin) => this.welcome(socket, origin));
  }

  /** A bridge listening on 127.0.0.1, and its URL (secret included). */
  static async start(options: Pick<BridgeOptions, 'port' | 'allowedOrigins' | 'lingerMs'>, emit: Emit, version: string): Promise<{ bridge: Bridge; url: string }> {
    const bridge = new Bridge(options, emit, version);
    const port = await bridge.server.listen();
    return { bridge, url: `ws://127.0.0.1:${port}/${bridge.secret}` };
  }

  stop(reason: string): Promise<void> {
    this.stopping ??= this.viewers.closeAll(reason).then(() => this.server.close());
    return this.stopping;
  }

  private welcome(socket: WebSocket, origin: string | null): void {
    const link = new PageLink(++this.pages, socket, this.viewers);
    link.on('report', this.emit);
    link.json({ v: 1, type: 'hello', bridge: this.version });
    this.emit({ type: 'page-connected', page: link.page, origin });
  }
}
