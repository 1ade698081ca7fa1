/**
 * The one error family. Every layer (codec, agent, page) extends `PigeonError`, so one function,
 * `describe`, turns any failure into the words a CLI prints, a refusal carries or a page shows:
 * a stable `code` for programs, a message a person can act on, and the `cause` kept for developers.
 */
export class PigeonError<Code extends string = string> extends Error {
  override readonly name: string = 'PigeonError';
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

export function isPigeonError(value: unknown): value is PigeonError {
  return value instanceof PigeonError;
}

/** What a person is told about a failure, and whether it was one Pigeon expected. */
export interface Described {
  code: string;
  message: string;
  /** False for anything that is not a PigeonError: a bug, worth its stack. */
  known: boolean;
}

/** Known failures keep their code and message; anything else gets `fallback` as its code. */
export function describe(error: unknown, fallback = 'E_INTERNAL'): Described {
  if (isPigeonError(error)) return { code: error.code, message: error.message, known: true };
  return { code: fallback, message: error instanceof Error ? error.message : String(error), known: false };
}
