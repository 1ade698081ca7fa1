/**
 * How many data-channel messages a viewer may send: a token bucket, `perSecond` on average and
 * `burst` at once. A page sends a few a minute (a keyframe, a quality change, a reconnect, bye);
 * a peer sending thousands would otherwise have each one parsed, reported and answered. Past the
 * budget a message is dropped unread; the first one dropped in a flood says so (`refuse`), the
 * rest are dropped silently (`drop`) until the sender has been quiet long enough to fill the
 * bucket again.
 */
export class MessageBudget {
  private tokens: number;
  private at: number;
  private flooding = false;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.at = now();
  }

  take(): 'take' | 'refuse' | 'drop' {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
    if (this.tokens >= this.burst) this.flooding = false;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'take';
    }
    if (this.flooding) return 'drop';
    this.flooding = true;
    return 'refuse';
  }
}
