import { ConnectionError } from '../events/viewer-error.ts';
import { bridgeTransport } from './bridge.ts';
import type { DecoderPreference } from './bridge-playback.ts';
import { nativeTransport } from './native.ts';
import type { TransportKind } from './transport.ts';

/** Where there is neither WebRTC nor a bridge: says so, and what to do, when a connection is asked for. */
export const noTransport: TransportKind = {
  playableCodecs: () => undefined,
  create: () => {
    throw new ConnectionError('E_NO_WEBRTC');
  },
};

/** Whether this engine has its own WebRTC (WebKitGTK, Tauri's Linux webview, has none). */
export function hasWebRTC(): boolean {
  return typeof globalThis.RTCPeerConnection === 'function';
}

/**
 * The transport for each new connection, chosen when it is made: the bridge when `bridgeUrl()`
 * names one (told to, even where WebRTC exists; its frames shown as `decoder()` says), else the
 * browser's own WebRTC, else none.
 */
export function chooseTransport(bridgeUrl: () => string, decoder: () => DecoderPreference = () => 'auto'): TransportKind {
  const pick = (): TransportKind => {
    const url = bridgeUrl().trim();
    if (url) return bridgeTransport(url, decoder());
    return hasWebRTC() ? nativeTransport : noTransport;
  };
  return {
    playableCodecs: () => pick().playableCodecs(),
    create: () => pick().create(),
  };
}
