import { PigeonError } from '@pigeon/signal';

/**
 * Failures the bridge process expects and explains: to the person running it, or to the page that
 * asked. Not @pigeon/bridge-wire's BridgeError, which is about the wire itself (a request or frame
 * that is not what the protocol says, a link gone) and is thrown by the page as by the bridge.
 */
export type BridgeProcessErrorCode =
  | 'E_USAGE'
  | 'E_LISTEN'
  | 'E_NO_VIDEO'
  | 'E_CODEC_MISMATCH'
  | 'E_WEBRTC'
  | 'E_VIEWER_UNKNOWN'
  | 'E_VIEWER_TAKEN'
  | 'E_NO_VIEWER'
  | 'E_HAS_VIEWER'
  | 'E_NOT_CONNECTED'
  | 'E_NOT_OFFERING'
  | 'E_ANSWERED'
  | 'E_ANSWER_REFUSED';

export class BridgeProcessError extends PigeonError<BridgeProcessErrorCode> {
  override readonly name = 'BridgeProcessError';
}
