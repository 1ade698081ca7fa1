import { PigeonError } from '@pigeon/signal';

/** Failures the bridge expects and explains: to the person running it, or to the page that asked. */
export type BridgeFailureCode =
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

export class BridgeFailure extends PigeonError<BridgeFailureCode> {
  override readonly name = 'BridgeFailure';
}
