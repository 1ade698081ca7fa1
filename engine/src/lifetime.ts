// libdatachannel keeps Node's event loop alive (its threads and callbacks) until
// nodeDataChannel.cleanup(), and cleanup() while a peer is still open crashes the process. So the
// engine counts its live peer connections and, once the last one has reached its closed state,
// calls cleanup() from a fresh macrotask (never from inside a native callback). The library
// starts again by itself with the next peer, so a process with no peers exits as it would with
// none ever made, and no caller has to remember a shutdown step.
import { native } from './native.ts';

let live = 0;
let pending: NodeJS.Timeout | undefined;
const idleWaiters: (() => void)[] = [];

/** A peer connection was made: the library is in use. */
export function opened(): void {
  live += 1;
  if (pending) clearTimeout(pending);
  pending = undefined;
}

/** A peer connection reached its closed state (call once per opened()). */
export function released(): void {
  live -= 1;
  if (live > 0 || pending) return;
  pending = setTimeout(() => {
    pending = undefined;
    if (live > 0) return;
    native.cleanup();
    for (const waiter of idleWaiters.splice(0)) waiter();
  });
}

/** Peer connections not yet closed. */
export const livePeers = (): number => live;

/** Resolves once no peer is live and the library has been cleaned up (at once if none ever was). */
export function engineIdle(): Promise<void> {
  if (live === 0 && !pending) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}
