import { PigeonError } from './pigeon-error.ts';

/**
 * The one code, in every layer (codec, agent inputs, data channel, detections), for an input
 * refused unread because of its size: defined here once, taken into the agent's code unions.
 */
export type TooLargeCode = 'E_TOO_LARGE';

/**
 * Every way a blob or an SDP can be refused. Each code has one message a person can act on; the
 * `detail` carries what a developer needs (offsets, the offending line) without cluttering it.
 */
export type SignalErrorCode =
  | 'E_NOT_PIGEON'
  | 'E_NEWER_VERSION'
  | 'E_CHECKSUM'
  | 'E_TRUNCATED'
  | 'E_EXPECTED_OFFER'
  | 'E_EXPECTED_ANSWER'
  | 'E_MALFORMED'
  | TooLargeCode
  | 'E_SDP_INVALID'
  | 'E_SDP_NO_ICE'
  | 'E_SDP_NO_FINGERPRINT'
  | 'E_SDP_ALL_REJECTED'
  | 'E_SDP_UNSUPPORTED';

const MESSAGES: Record<SignalErrorCode, string> = {
  E_NOT_PIGEON: 'This is not a Pigeon code. Scan or paste the code shown by the Pi agent or the Pigeon page.',
  E_NEWER_VERSION:
    'This code was made by a newer version of Pigeon. Update this side (web page or pi-agent) and try again.',
  E_CHECKSUM: 'This code is damaged (its checksum does not match). Scan it again or copy the whole text again.',
  E_TRUNCATED: 'This code is cut short. Copy the whole text, or scan the whole QR code.',
  E_EXPECTED_OFFER:
    'This is an answer, but an offer was expected. Scan the offer shown by the Pi (or the other side that starts the call).',
  E_EXPECTED_ANSWER:
    'This is an offer, but an answer was expected. Scan the answer shown by the other side after it read your offer.',
  E_MALFORMED: 'This code passed its checksum but its content makes no sense. It may come from an incompatible Pigeon build.',
  E_TOO_LARGE: 'This is far larger than any Pigeon code or session description, so it was refused unread.',
  E_SDP_INVALID: 'This is not a session description (SDP) a WebRTC connection can be made from.',
  E_SDP_NO_ICE: 'The session description has no ICE credentials (a=ice-ufrag / a=ice-pwd), so no connection could be made from it.',
  E_SDP_NO_FINGERPRINT: 'The session description has no DTLS fingerprint (a=fingerprint), so the connection could not be secured.',
  E_SDP_ALL_REJECTED:
    'The other side refused every media section (port 0): it accepted nothing that was offered, most often because it cannot play any of the offered codecs.',
  E_SDP_UNSUPPORTED: 'The session description uses something Pigeon cannot carry.',
};

export class SignalError extends PigeonError<SignalErrorCode> {
  override readonly name = 'SignalError';
  readonly detail: string | undefined;

  constructor(code: SignalErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, detail === undefined ? MESSAGES[code] : `${MESSAGES[code]} (${detail})`, options);
    this.detail = detail;
  }
}

export function isSignalError(value: unknown): value is SignalError {
  return value instanceof SignalError;
}
