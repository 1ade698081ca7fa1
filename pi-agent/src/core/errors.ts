// The agent's errors: one class per layer, each a PigeonError (src/signal/pigeon-error.ts) with the
// same constructor shape — code, a message a person can act on, and options that keep the `cause`.
// `describe()` is the one place a failure becomes words: the CLI's report and every refusal use it.
import { PigeonError, describe, type TooLargeCode } from '@pigeon/signal';
import type { RequiredElement } from '../gst/pipeline-spec.ts';

/** Errors the CLI expects and explains; anything else is a bug and gets its stack printed. */
export type AgentErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_INPUT'
  | TooLargeCode
  | 'E_OFFER_EXPIRED'
  | 'E_OFFER_USED'
  | 'E_OFFER_UNKNOWN'
  | 'E_NO_OFFER_ID'
  | 'E_FULL'
  | 'E_RESIGNAL_STATE'
  | 'E_RESIGNAL_BUSY'
  | 'E_PAGE_SERVER'
  | 'E_MSG_FLOOD'
  | 'E_NO_OFFER_SHOWING'
  | 'E_WEBRTC';

export class AgentError extends PigeonError<AgentErrorCode> {
  override readonly name = 'AgentError';
}

/** A viewer's offer the agent's peer cannot answer. */
export class PeerError extends PigeonError<'E_CODEC_MISMATCH' | 'E_NO_VIDEO'> {
  override readonly name = 'PeerError';
}

export type PipelineErrorCode = 'E_GST_OPTIONS' | 'E_GST_MISSING' | 'E_GST_NOT_INSTALLED' | 'E_GST_EXIT' | 'E_GST_START' | 'E_NO_CAMERA' | 'E_NO_HAILO';

/** Everything that goes wrong around the GStreamer child; `stderr` holds its last ~4 KB when it ran. */
export class PipelineError extends PigeonError<PipelineErrorCode> {
  override readonly name = 'PipelineError';
  readonly stderr: string | undefined;
  /** E_GST_MISSING: the elements gst-inspect-1.0 did not find. */
  readonly missing: RequiredElement[] | undefined;

  constructor(code: PipelineErrorCode, message: string, options: { cause?: unknown; stderr?: string; missing?: RequiredElement[] } = {}) {
    super(code, message, { cause: options.cause });
    this.stderr = options.stderr;
    this.missing = options.missing;
  }
}

export function isPipelineError(error: unknown): error is PipelineError {
  return error instanceof PipelineError;
}

/** A pipeline option that cannot work, said before anything is run. */
export function badOption(message: string): never {
  throw new PipelineError('E_GST_OPTIONS', message);
}

/**
 * Known failures become a refusal a person (or a viewer) can act on: the error's own code and
 * message; anything else gets `fallback` as its code.
 */
export function refusal(error: unknown, fallback = 'E_WEBRTC'): { code: string; reason: string } {
  const { code, message } = describe(error, fallback);
  return { code, reason: message };
}

export type DetectionErrorCode = 'E_DETECTIONS' | 'E_DETECTIONS_SPEC' | TooLargeCode | 'E_DETECTIONS_FLOOD';

/** A `--detections` spec that cannot work, or one message from it that was skipped (and why). */
export class DetectionError extends PigeonError<DetectionErrorCode> {
  override readonly name = 'DetectionError';
}
