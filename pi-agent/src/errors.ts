/** Errors the CLI expects and explains; anything else is a bug and gets its stack printed. */
export type AgentErrorCode =
  | 'E_USAGE'
  | 'E_INPUT'
  | 'E_OFFER_EXPIRED'
  | 'E_OFFER_USED'
  | 'E_OFFER_UNKNOWN'
  | 'E_NO_OFFER_ID'
  | 'E_FULL'
  | 'E_RESIGNAL_STATE'
  | 'E_RESIGNAL_BUSY'
  | 'E_NO_CAMERA';

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
