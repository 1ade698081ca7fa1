/** Errors the CLI expects and explains; anything else is a bug and gets its stack printed. */
export type AgentErrorCode = 'E_USAGE' | 'E_INPUT';

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
