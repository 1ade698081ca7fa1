// SIGUSR2: the agent's memory, said as a `memory` event (for `npm run soak` and anyone watching a
// long run). With node --expose-gc it collects first, so `heapUsed` is the live heap, not garbage
// not collected yet; without, it says so (`gc: false`).
import { getHeapSpaceStatistics } from 'node:v8';
import type { Report } from '../core/events.ts';

const MB = 1024 * 1024;
const mb = (bytes: number): number => Math.round((bytes / MB) * 100) / 100;

/** Listens for SIGUSR2 until the returned stop is called. */
export function reportMemoryOnSignal(report: Report): () => void {
  const onSignal = (): void => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    // Compiled code grows for a while as V8 optimises hot functions: not objects kept alive.
    const code = getHeapSpaceStatistics()
      .filter((space) => space.space_name.startsWith('code'))
      .reduce((sum, space) => sum + space.space_used_size, 0);
    report({ type: 'memory', gc: gc !== undefined, rssMb: mb(rss), heapUsedMb: mb(heapUsed), codeMb: mb(code), heapTotalMb: mb(heapTotal), externalMb: mb(external), arrayBuffersMb: mb(arrayBuffers) });
  };
  process.on('SIGUSR2', onSignal);
  return () => void process.off('SIGUSR2', onSignal);
}
