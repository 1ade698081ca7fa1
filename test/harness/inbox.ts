/**
 * A data channel's messages in order, each handed to the first who waits for it. Shared by the
 * werift peer (Node) and the browser peer's runtime (bundled into the page), which read messages
 * the same way.
 */
export class Inbox {
  private readonly queued: string[] = [];
  private readonly waiters: ((text: string) => void)[] = [];

  /** `what` names the channel in the timeout's message, e.g. "werift data channel". */
  constructor(private readonly what: string) {}

  put(text: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(text);
    else this.queued.push(text);
  }

  /** The next message, waiting up to `timeoutMs`; `why` says the connection's state when none came. */
  next(timeoutMs: number, why: () => string): Promise<string> {
    const queued = this.queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise<string>((resolve, reject) => {
      const waiter = (text: string): void => {
        clearTimeout(timer);
        resolve(text);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no ${this.what} message within ${timeoutMs} ms (${why()})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
