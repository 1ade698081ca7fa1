import { isSignalError } from '../../src/signal/index.ts';
import { PeerError } from './peer.ts';

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

export class AgentError extends Error {
  override readonly name = 'AgentError';

  constructor(
    readonly code: AgentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Known failures become a refusal a person (or a viewer) can act on: the error's own code and
 * message; anything else gets `fallback` as its code.
 */
export function refusal(error: unknown, fallback = 'E_WEBRTC'): { code: string; reason: string } {
  if (isSignalError(error) || error instanceof AgentError || error instanceof PeerError) return { code: error.code, reason: error.message };
  return { code: fallback, reason: error instanceof Error ? error.message : String(error) };
}
