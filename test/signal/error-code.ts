import assert from 'node:assert/strict';
import { isSignalError } from '../../src/signal/index.ts';

/** The SignalError code `run` throws, or 'no error'; anything else thrown fails the test. */
export function errorCode(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error) {
    assert.ok(isSignalError(error), `not a SignalError: ${String(error)}`);
    assert.ok(error.message.length > 20, 'a message a person can act on');
    return error.code;
  }
}
