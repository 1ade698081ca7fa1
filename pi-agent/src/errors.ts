import { PigeonError, describe } from '../../src/signal/index.ts';

/** Errors the CLI expects and explains; anything else is a bug and gets its stack printed. */
export type AgentErrorCode =
  | 'E_USAGE'
  | 'E_INPUT'
  | 'E_TOO_LARGE'
  | 'E_OFFER_EXPIRED'
  | 'E_OFFER_USED'
  | 'E_OFFER_UNKNOWN'
  | 'E_NO_OFFER_ID'
  | 'E_FULL'
  | 'E_RESIGNAL_STATE'
  | 'E_RESIGNAL_BUSY'
  | 'E_PAGE_SERVER';

export class AgentError extends PigeonError<AgentErrorCode> {
  override readonly name = 'AgentError';
}

/**
 * Known failures become a refusal a person (or a viewer) can act on: the error's own code and
 * message; anything else gets `fallback` as its code.
 */
export function refusal(error: unknown, fallback = 'E_WEBRTC'): { code: string; reason: string } {
  const { code, message } = describe(error, fallback);
  return { code, reason: message };
}
