/**
 * A native callback's body. An exception thrown out of a node-datachannel callback terminates
 * the process (std::terminate, no 'uncaughtException'), so every callback the engine registers
 * runs through this: an error is rethrown on the next tick, where Node handles it as usual.
 */
export function guarded<A extends unknown[]>(body: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      body(...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  };
}
