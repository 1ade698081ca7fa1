/**
 * Polls `probe` until `done` holds of its value or `boundMs` has passed, and returns the last
 * value for the caller to assert on. For rates and counts that a loaded 2-core machine reaches
 * late: a test waits for the condition, with a bound, instead of judging a first sample or a
 * fixed window.
 */
export async function eventually<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, boundMs: number, everyMs = 100): Promise<T> {
  const until = Date.now() + boundMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= until) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
