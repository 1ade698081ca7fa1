import { PigeonError } from '@pigeon/signal';

/**
 * The engine's own failures. E_ENGINE_LOAD: the native library would not load (no prebuilt binary
 * for this platform, or a broken install). E_ENGINE_MISSING: it loaded, but a member Pigeon calls
 * is not there (another node-datachannel version); the message names each one. E_ENGINE_NO_CODEC:
 * answer() was given an offer without a video codec of the plan (its callers check that first).
 */
export type EngineErrorCode = 'E_ENGINE_LOAD' | 'E_ENGINE_MISSING' | 'E_ENGINE_NO_CODEC' | 'E_ENGINE_NO_DESCRIPTION';

export class EngineError extends PigeonError<EngineErrorCode> {
  override readonly name = 'EngineError';
}
