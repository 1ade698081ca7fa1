import type { RTCDtlsTransport } from 'werift';

/*
 * werift 0.24's RTCDtlsTransport.start() creates its DTLS client, subscribes to it, and then
 * sleeps a fixed 100 ms before the client sends its ClientHello. The agent is the DTLS client of
 * every connection it offers (see ViewerPeer.asDtlsClient), so that sleep would sit in every
 * viewer's time to first frame, which is about 100 ms in all. The far side is ready by then: ICE
 * is connected before start() runs, and the answerer has been listening since it made its answer.
 */

interface HelloSender {
  connect(): Promise<void>;
}

/**
 * Makes `transport`'s DTLS client send its hello as soon as werift has created and subscribed to
 * it. werift's own later call gets the same handshake, so its error handling still applies.
 */
export function helloWithoutDelay(transport: RTCDtlsTransport): void {
  let socket: unknown;
  Object.defineProperty(transport, 'dtls', {
    configurable: true,
    enumerable: true,
    get: () => socket,
    set: (value: unknown) => {
      socket = value;
      if (transport.role !== 'client' || !isHelloSender(value)) return;
      const connect = value.connect.bind(value);
      let started: Promise<void> | undefined;
      value.connect = () => (started ??= connect());
      // A microtask: werift subscribes to the client's events synchronously right after creating it.
      queueMicrotask(() => void value.connect().catch(() => undefined));
    },
  });
}

function isHelloSender(value: unknown): value is HelloSender {
  return typeof value === 'object' && value !== null && typeof (value as { connect?: unknown }).connect === 'function';
}
