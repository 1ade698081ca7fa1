/**
 * A typed event source for the parts of a session (connection, agent channel, stats sampler):
 * each part emits what happened, and the session that built the parts subscribes them to one
 * another, so no part holds another's callback and every wire is visible where they are built.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(detail: never) => void>>();

  /** Calls `listener` with each `type` event's detail, in order of subscription; returns the unsubscribe. */
  on<K extends keyof Events>(type: K, listener: (detail: Events[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as (detail: never) => void);
    return () => set.delete(listener as (detail: never) => void);
  }

  /** Synchronous, as a DOM event is: a listener's reaction has happened when emit returns. */
  protected emit<K extends keyof Events>(type: K, detail: Events[K]): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) (listener as (detail: Events[K]) => void)(detail);
  }
}
