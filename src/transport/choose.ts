import { ConnectionError } from '../events/viewer-error.ts';
import { bridgeTransport } from './bridge.ts';
import type { DecoderPreference } from './bridge-playback.ts';
import { nativeTransport } from './native.ts';
import type { TransportKind } from './transport.ts';

/**
 * What an app asks for (`<pigeon-viewer transport>`, the page's `?transport=`): `native` the
 * engine's own RTCPeerConnection only, `bridge` the bridge even where the engine has WebRTC (e.g.
 * macOS's WKWebView inside Tauri), `auto` (the default) native where it exists, else the bridge.
 */
export type TransportPreference = 'auto' | 'native' | 'bridge';

/** `native` or `bridge` as given (any case, blanks around), anything else `auto`. */
export function transportPreference(value: string): TransportPreference {
  const word = value.trim().toLowerCase();
  return word === 'native' || word === 'bridge' ? word : 'auto';
}

/** Where a kind cannot be had: says why, and what to do, when a connection is asked for. */
function unavailable(error: () => ConnectionError): TransportKind {
  return {
    playableCodecs: () => undefined,
    create: () => {
      throw error();
    },
  };
}

/** Where there is neither WebRTC nor a bridge. */
export const noTransport: TransportKind = unavailable(() => new ConnectionError('E_NO_WEBRTC'));

/** Told to use the bridge and given none. */
const noBridge: TransportKind = unavailable(() => new ConnectionError('E_NO_BRIDGE'));

/** Whether this engine has its own WebRTC (WebKitGTK, Tauri's Linux webview, has none). */
export function hasWebRTC(): boolean {
  return typeof globalThis.RTCPeerConnection === 'function';
}

/** What each new connection is made with. */
export interface TransportChoice {
  /** A `pigeon-bridge` URL, or blank for none. */
  bridgeUrl: () => string;
  preference?: () => TransportPreference;
  /** How the bridge's frames are shown. */
  decoder?: () => DecoderPreference;
}

/**
 * The transport for each new connection, chosen when it is made (so changing the bridge URL or
 * the preference later takes effect): native first — the engine's RTCPeerConnection wherever it
 * has one, even when a bridge URL is also given; the bridge where the engine has no WebRTC, or
 * when `preference()` is `bridge`; none (an error saying what to do) otherwise.
 */
export function chooseTransport(choice: TransportChoice): TransportKind {
  const pick = (): TransportKind => {
    const url = choice.bridgeUrl().trim();
    const bridge = url ? bridgeTransport(url, choice.decoder?.() ?? 'auto') : undefined;
    switch (choice.preference?.() ?? 'auto') {
      case 'native':
        return hasWebRTC() ? nativeTransport : noTransport;
      case 'bridge':
        return bridge ?? noBridge;
      case 'auto':
        return hasWebRTC() ? nativeTransport : (bridge ?? noTransport);
    }
  };
  return {
    playableCodecs: () => pick().playableCodecs(),
    create: () => pick().create(),
  };
}
