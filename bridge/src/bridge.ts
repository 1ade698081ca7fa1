import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Emit } from './events.ts';
import type { BridgeOptions } from './options.ts';
import { PageLink } from './page-link.ts';
import { PageServer } from './server.ts';
import { Viewers } from './viewers.ts';

/**
 * One run of the bridge, built in dependency order: the viewers (each a werift peer of the Pi),
 * then the loopback server whose pages use them. `stop` says goodbye to the agent for every
 * viewer before the sockets close.
 */
export class Bridge {
  private readonly viewers: Viewers;
  private readonly server: PageServer;
  private readonly secret = randomBytes(24).toString('base64url'); // nobody guesses it; 32 URL-safe characters
  private pages = 0;
  private stopping: Promise<void> | undefined;

  private constructor(
    options: Pick<BridgeOptions, 'port' | 'allowedOrigins' | 'lingerMs'>,
    private readonly emit: Emit,
    private readonly version: string,
  ) {
    this.viewers = new Viewers(emit, options.lingerMs);
    this.server = new PageServer({ port: options.port, secret: this.secret, allowedOrigins: options.allowedOrigins }, emit, (socket, origin) => this.welcome(socket, origin));
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
    const link = new PageLink(++this.pages, socket, this.viewers, this.emit);
    link.json({ v: 1, type: 'hello', bridge: this.version });
    this.emit({ type: 'page-connected', page: link.page, origin });
  }
}
