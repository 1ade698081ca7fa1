/**
 * The page's end of the bridge: one WebSocket to `pigeon-bridge`, its JSON messages read and
 * checked (./protocol.ts), its binary messages read as frames (./frame.ts), each handed on as a
 * typed event. It does not decode or draw (./decoder.ts does), so a Transport can wrap the two.
 */
import { BridgeError } from '../bridge-wire/errors.ts';
import { decodeVideoFrame, type BridgeFrame } from '../bridge-wire/frame.ts';
import { encodeBridgeJson, parseBridgeMessage, type BridgeMessage, type PageRequest, type VideoCodecName, type ViewerState } from '../bridge-wire/protocol.ts';

export interface BridgeAnswer {
  viewer: number;
  /** Lets a reloaded page take this viewer over (`attach`); keep it in sessionStorage. */
  token: string;
  offerId: number | null;
  codec: VideoCodecName;
  /** The answer as `pigeon:` text, to show and paste. */
  text: string;
  /** The answer's frame, for a binary QR. */
  bytes: Uint8Array;
}

/** The bridge's offer for this page's `offer` request: a whole SDP for the page to carry to the Pi. */
export interface BridgeOffer {
  viewer: number;
  token: string;
  sdp: string;
}

export interface BridgeStatus {
  viewer: number;
  state: ViewerState;
  code?: string;
  reason?: string;
}

export interface BridgeClientEvents {
  answer: BridgeAnswer;
  offer: BridgeOffer;
  status: BridgeStatus;
  /** One message from the agent on the 'pigeon' data channel, as text. */
  message: string;
  frame: BridgeFrame;
  /** A refusal from the bridge, or a message the page could not read. */
  error: { code: string; message: string };
  /** The socket closed (the bridge stopped, or `disconnect`). */
  close: { code: number; reason: string };
}

type Listener<K extends keyof BridgeClientEvents> = (detail: BridgeClientEvents[K]) => void;

/** A bridge URL as `pigeon-bridge` prints it: ws:// on this machine. Throws E_BRIDGE_URL. */
export function checkBridgeUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BridgeError('E_BRIDGE_URL', `"${url.slice(0, 80)}" is not a URL; the bridge prints one like ws://127.0.0.1:PORT/SECRET`);
  }
  if (parsed.protocol !== 'ws:' || !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
    throw new BridgeError('E_BRIDGE_URL', `the bridge listens on this machine only (ws://127.0.0.1:PORT/SECRET), not ${parsed.protocol}//${parsed.host}`);
  }
  return parsed;
}

export class BridgeClient {
  private readonly listeners: { [K in keyof BridgeClientEvents]: Set<Listener<K>> } = {
    answer: new Set(),
    offer: new Set(),
    status: new Set(),
    message: new Set(),
    frame: new Set(),
    error: new Set(),
    close: new Set(),
  };

  private constructor(
    private readonly socket: WebSocket,
    /** The bridge's version, from its hello. */
    readonly bridgeVersion: string,
  ) {
    socket.addEventListener('message', (event) => this.receive(event.data));
    socket.addEventListener('close', (event) => this.fire('close', { code: event.code, reason: event.reason }));
  }

  /** Connects and waits for the bridge's hello. Rejects with E_BRIDGE_URL or E_BRIDGE_UNREACHABLE. */
  static connect(url: string): Promise<BridgeClient> {
    const socket = new WebSocket(checkBridgeUrl(url).href);
    socket.binaryType = 'arraybuffer';
    return new Promise((resolve, reject) => {
      const fail = (): void =>
        reject(new BridgeError('E_BRIDGE_UNREACHABLE', 'no Pigeon bridge answered at that URL, or it refused this page: is pigeon-bridge running, and is the URL the one it printed this time?'));
      socket.addEventListener('error', fail, { once: true });
      socket.addEventListener('close', fail, { once: true });
      socket.addEventListener(
        'message',
        (event) => {
          socket.removeEventListener('error', fail);
          socket.removeEventListener('close', fail);
          try {
            const hello = typeof event.data === 'string' ? parseBridgeMessage(event.data) : undefined;
            if (hello?.type !== 'hello') throw new BridgeError('E_BRIDGE_MALFORMED', 'the bridge did not start with its hello');
            resolve(new BridgeClient(socket, hello.bridge));
          } catch (error) {
            socket.close();
            reject(error);
          }
        },
        { once: true },
      );
    });
  }

  /** Subscribes to one event; returns the unsubscribe. */
  on<K extends keyof BridgeClientEvents>(type: K, listener: Listener<K>): () => void {
    const set = this.listeners[type] as Set<Listener<K>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Answers the Pi's offer (`pigeon:` text); `codecs` are what this page decodes, preferred first. */
  accept(offer: string, codecs?: VideoCodecName[]): void {
    this.request(codecs ? { v: 1, type: 'accept', offer, codecs } : { v: 1, type: 'accept', offer });
  }

  /** Asks the bridge to offer, as a browser would, to receive `codecs` (preferred first): its `offer` follows. */
  offer(codecs?: VideoCodecName[]): void {
    this.request(codecs ? { v: 1, type: 'offer', codecs } : { v: 1, type: 'offer' });
  }

  /** The Pi's answer (a whole SDP) to the bridge's offer. */
  answer(sdp: string): void {
    this.request({ v: 1, type: 'answer', sdp });
  }

  /** Takes over a viewer started before a reload. */
  attach(viewer: number, token: string): void {
    this.request({ v: 1, type: 'attach', viewer, token });
  }

  requestKeyframe(): void {
    this.request({ v: 1, type: 'keyframe' });
  }

  /** One message for the agent on the data channel. */
  send(text: string): void {
    this.request({ v: 1, type: 'send', text });
  }

  /** Leaves for good: the bridge says `bye` to the agent. The socket stays open for another `accept`. */
  close(reason: string): void {
    this.request({ v: 1, type: 'close', reason });
  }

  /** Closes the socket only: the viewer waits (--linger) for a page to `attach` it, as after a reload. */
  disconnect(): void {
    this.socket.close(1000, 'the page disconnected');
  }

  private request(request: PageRequest): void {
    if (this.socket.readyState !== WebSocket.OPEN) throw new BridgeError('E_BRIDGE_GONE', 'the connection to the bridge is closed');
    this.socket.send(encodeBridgeJson(request));
  }

  private receive(data: unknown): void {
    try {
      if (data instanceof ArrayBuffer) return this.fire('frame', decodeVideoFrame(new Uint8Array(data)));
      if (typeof data !== 'string') throw new BridgeError('E_BRIDGE_MALFORMED', 'a message of an unknown kind');
      this.dispatch(parseBridgeMessage(data));
    } catch (error) {
      const { code, message } = error instanceof BridgeError ? error : { code: 'E_BRIDGE_MALFORMED', message: String(error) };
      this.fire('error', { code, message });
    }
  }

  private dispatch(message: BridgeMessage): void {
    switch (message.type) {
      case 'hello':
        return;
      case 'answer': {
        const { viewer, token, offerId, codec, text, bytes } = message;
        return this.fire('answer', { viewer, token, offerId, codec, text, bytes: Uint8Array.from(bytes) });
      }
      case 'offer': {
        const { viewer, token, sdp } = message;
        return this.fire('offer', { viewer, token, sdp });
      }
      case 'status': {
        const { viewer, state, code, reason } = message;
        return this.fire('status', { viewer, state, ...(code === undefined ? {} : { code }), ...(reason === undefined ? {} : { reason }) });
      }
      case 'message':
        return this.fire('message', message.text);
      case 'error':
        return this.fire('error', { code: message.code, message: message.message });
    }
  }

  private fire<K extends keyof BridgeClientEvents>(type: K, detail: BridgeClientEvents[K]): void {
    for (const listener of this.listeners[type] as Set<Listener<K>>) listener(detail);
  }
}
