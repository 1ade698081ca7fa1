import { PigeonError, describe, isPigeonError } from '../signal/index.ts';

/** Connection codes of `error` events that do not come from the codec. */
export type ConnectionErrorCode =
  | 'E_ICE_FAILED'
  | 'E_DISCONNECTED'
  | 'E_WEBRTC'
  | 'E_OTHER_OFFER'
  | 'E_NO_OFFER'
  | 'E_CHANNEL_CLOSED'
  | 'E_RESTART'
  | 'E_AGENT_STOPPED'
  | 'E_CODE_EXPIRED'
  | 'E_CODEC_UNPLAYABLE'
  | 'E_GATHER_TIMEOUT'
  | 'E_NO_WEBRTC'
  | 'E_NO_BRIDGE'
  | 'E_NO_WEBCODECS'
  | 'E_NO_MSE'
  | 'E_BRIDGE_REFUSED'
  | 'E_BRIDGE_NO_RENEGOTIATION'
  | 'E_BRIDGE_CLOSED'
  | 'E_INTERNAL';

/**
 * How long ICE gathering may take. With no STUN server it is local work (host candidates, mDNS
 * names) done in well under a second; a browser that never starts (Firefox after refusing the
 * BUNDLE-tag section) must not leave the page preparing forever.
 */
export const GATHER_MS = 15_000;

/** What the page says for each code: what happened and what the person can do. */
export const CONNECTION_MESSAGES: Record<ConnectionErrorCode, string> = {
  E_ICE_FAILED:
    'Could not reach the Pi. Is this device on the same network as the Pi? A firewall, or a guest Wi-Fi that keeps devices apart, blocks the video. The Pi’s code may also have expired (after 10 minutes) or been used already. Get a fresh code from the Pi and try again.',
  E_DISCONNECTED: 'The connection to the Pi was lost. Get a fresh code from the Pi and paste it again.',
  E_WEBRTC: 'This browser could not set up the video connection.',
  E_OTHER_OFFER: 'This answer is for another offer, not the one this page shows now. Give the Pi this page’s offer again and use its new answer.',
  E_NO_OFFER: 'This page has made no offer yet, so there is nothing to answer. Press “Create an offer” first.',
  E_CHANNEL_CLOSED:
    'The Pi closed the connection (its data channel is gone), so it cannot be reconnected from here. Get a fresh code from the Pi and paste it again.',
  E_RESTART: 'Reconnecting over the data channel did not work.',
  E_AGENT_STOPPED: 'The Pi agent has gone away. Start it again on the Pi and scan (or paste) its new code.',
  E_CODE_EXPIRED:
    'The Pi stopped answering before it read this page’s answer: its code has expired (a code lasts 10 minutes unless the Pi was started with another --offer-ttl), or the Pi agent was restarted. The Pi shows a fresh code by itself: scan or paste that one.',
  E_CODEC_UNPLAYABLE: 'This browser cannot play the video codecs the Pi sends.',
  E_GATHER_TIMEOUT: `This browser did not finish gathering its network addresses within ${GATHER_MS / 1000} s, so it has no code to show.`,
  E_NO_WEBRTC:
    'This browser (or app webview) has no WebRTC, and this page was not given a bridge, so it cannot receive the Pi’s video. Either start the bridge on this machine (npx pigeon-bridge, from the Pigeon folder) and open this page with ?bridge= and the ws://127.0.0.1:… URL it prints, URL-encoded, before the #; or open this page in a browser with WebRTC (Chromium, Chrome, Firefox, Safari, Edge).',
  E_NO_BRIDGE:
    'This viewer was told to use the bridge (transport=bridge) but was given no bridge URL. Start the bridge on this machine (npx pigeon-bridge) and give the ws://127.0.0.1:… URL it prints (the bridge attribute, or ?bridge= URL-encoded), or leave transport=bridge out to use this engine’s own WebRTC.',
  E_NO_WEBCODECS:
    'This browser has neither a WebCodecs video decoder for H.264 or VP8 nor Media Source Extensions that play H.264 in MP4, so it cannot show the video the bridge passes on. Open this page in a browser with WebRTC instead (Chromium, Chrome, Firefox, Safari, Edge), or in a newer one.',
  E_NO_MSE:
    'This page was asked to play the bridge’s video through Media Source Extensions (decoder=mse), but this browser’s MSE does not play H.264 in MP4. Leave decoder= out to use WebCodecs where this browser has it.',
  E_BRIDGE_REFUSED: 'The Pigeon bridge refused this page’s request.',
  E_BRIDGE_NO_RENEGOTIATION:
    'The Pi offered to change this connection in place, which the bridge cannot answer. Press Reconnect for a new connection, or get a fresh code from the Pi.',
  E_BRIDGE_CLOSED: 'The Pigeon bridge ended this viewer.',
  E_INTERNAL: 'Unexpected error',
};

/**
 * A failure of the page's side: the code's message, with `detail` (what happened this time) in
 * brackets after it, or `message` instead where the words depend on the case.
 */
export class ConnectionError extends PigeonError<ConnectionErrorCode> {
  override readonly name: string = 'ConnectionError';

  constructor(code: ConnectionErrorCode, words: { detail?: string; message?: string; cause?: unknown } = {}) {
    const base = CONNECTION_MESSAGES[code];
    super(code, words.message ?? (words.detail === undefined ? base : `${base} (${words.detail})`), { cause: words.cause });
  }
}

/** Why a viewer stopped, with a code for programs and a message for people. */
export interface ViewerErrorDetail {
  /** A SignalError code (`E_CHECKSUM` …) or one of the connection codes. */
  code: string;
  message: string;
}

/**
 * The one place the page turns a failure into words: Pigeon's own errors say what they say;
 * anything else (a browser's exception) is reported under `unknown`, with what the browser said.
 */
export function viewerErrorOf(error: unknown, unknown: ConnectionErrorCode = 'E_WEBRTC'): ViewerErrorDetail {
  const known = isPigeonError(error) ? error : new ConnectionError(unknown, { detail: String(error), cause: error });
  const { code, message } = describe(known);
  return { code, message };
}

/** What an agent's `bye` means to the person watching. */
export function agentStopped(reason: string): ConnectionError {
  return new ConnectionError('E_AGENT_STOPPED', { message: CONNECTION_MESSAGES.E_AGENT_STOPPED.replace('away.', `away (${reason}).`) });
}

/** Why a reconnect's new connection is not used: it did not come up (`what` it did instead). */
export function notUp(what: string): ConnectionError {
  return new ConnectionError('E_RESTART', { detail: `the new connection ${what}` });
}
