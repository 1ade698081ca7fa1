import { PigeonError } from '../signal/pigeon-error.ts';

/**
 * Everything that can go wrong between a page and the bridge: on the wire (a request or a frame
 * that is not what this protocol says), or in the link itself (no bridge there, refused, gone).
 * Pure: the bridge and the page both throw these.
 */
export type BridgeErrorCode =
  | 'E_BRIDGE_TOO_LARGE'
  | 'E_BRIDGE_NOT_JSON'
  | 'E_BRIDGE_MALFORMED'
  | 'E_BRIDGE_VERSION'
  | 'E_BRIDGE_BINARY'
  | 'E_BRIDGE_FRAME'
  | 'E_BRIDGE_STATE'
  | 'E_BRIDGE_URL'
  | 'E_BRIDGE_UNREACHABLE'
  | 'E_BRIDGE_GONE'
  /** The bridge's viewer reached a Pi whose certificate its code (offer or answer) did not name. */
  | 'E_DTLS_FINGERPRINT'
  | 'E_DECODER';

export class BridgeError extends PigeonError<BridgeErrorCode> {
  override readonly name = 'BridgeError';
}
