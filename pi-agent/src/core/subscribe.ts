import type { EventEmitter } from 'node:events';

/** Listeners for some of a typed emitter's events, keyed by event name. */
export type Listeners<Events extends Record<keyof Events, unknown[]>> = { [K in keyof Events]?: (...args: Events[K]) => void };

/**
 * Puts `listeners` on `emitter` and returns what takes exactly those off again: a part that
 * listens to another (Viewers to its peers) leaves everyone else's listeners alone.
 */
export function subscribe<Events extends Record<keyof Events, unknown[]>>(emitter: EventEmitter<Events>, listeners: Listeners<Events>): () => void {
  const entries = Object.entries(listeners) as [string, (...args: unknown[]) => void][];
  // The typed emitter's on/off take one event name at a time; the table is checked above.
  const plain = emitter as unknown as EventEmitter;
  for (const [event, listener] of entries) plain.on(event, listener);
  return () => {
    for (const [event, listener] of entries) plain.off(event, listener);
  };
}
