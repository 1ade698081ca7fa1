import type { TransportChannel, TransportChannelEventMap } from './transport.ts';

/**
 * The agent's 'pigeon' data channel as the bridge relays it: JSON text both ways over the
 * bridge's WebSocket, with an RTCDataChannel's shape (label, readyState, message/open/close
 * events), so the protocol code cannot tell it from the browser's own.
 */
export class BridgeChannel extends EventTarget implements TransportChannel {
  readonly label = 'pigeon';
  private state: RTCDataChannelState = 'connecting';

  /** @param relay sends one message to the agent through the bridge. */
  constructor(private readonly relay: (text: string) => void) {
    super();
  }

  get readyState(): RTCDataChannelState {
    return this.state;
  }

  send(text: string): void {
    if (this.state !== 'open') throw new DOMException('the data channel to the Pi is not open', 'InvalidStateError');
    this.relay(text);
  }

  override addEventListener<K extends keyof TransportChannelEventMap>(type: K, listener: (event: TransportChannelEventMap[K]) => void): void {
    super.addEventListener(type, listener as EventListener);
  }

  override removeEventListener<K extends keyof TransportChannelEventMap>(type: K, listener: (event: TransportChannelEventMap[K]) => void): void {
    super.removeEventListener(type, listener as EventListener);
  }

  /** Only the bridge closes the channel (the viewer's `close`): a page letting go of it just stops sending. */
  close(): void {
    this.state = 'closed';
  }

  /** The bridge says the agent's channel is up. */
  opened(): void {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    this.dispatchEvent(new Event('open'));
  }

  /** One message from the agent, as it came. */
  received(text: string): void {
    if (this.state === 'open') this.dispatchEvent(new MessageEvent('message', { data: text }));
  }

  /** The agent's channel is gone (the bridge said so, or the bridge itself went). */
  ended(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.dispatchEvent(new Event('close'));
  }
}
