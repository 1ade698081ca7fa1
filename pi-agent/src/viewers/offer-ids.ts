// Offer ids: each offer (and each viewer) has a 16-bit id a blob carries, and an answer names the
// offer it answers. Spent ids are remembered for a while so that an answer to one is refused saying
// whether its offer was used or expired, rather than "unknown".
import { randomInt } from 'node:crypto';
import { AgentError } from '../core/errors.ts';

// Remember this many spent ids of each kind.
const HISTORY = 256;

export class OfferIds {
  private readonly used = new Set<number>();
  private readonly expired = new Set<number>();

  /** An id neither spent nor `taken` (by a viewer or the offer showing). */
  fresh(taken: (id: number) => boolean): number {
    for (;;) {
      const id = randomInt(0, 0x10000);
      if (!this.used.has(id) && !this.expired.has(id) && !taken(id)) return id;
    }
  }

  spend(id: number): void {
    remember(this.used, id);
  }

  expire(id: number): void {
    remember(this.expired, id);
  }

  /** Why an answer to offer `id`, which is not the one showing, is refused. */
  refusal(id: number): AgentError {
    if (this.used.has(id)) return new AgentError('E_OFFER_USED', `offer #${id} was already answered; scan the offer shown now`);
    if (this.expired.has(id)) return new AgentError('E_OFFER_EXPIRED', `offer #${id} has expired; scan the offer shown now`);
    return new AgentError('E_OFFER_UNKNOWN', `this answers offer #${id}, which this agent did not make (another Pi, or an earlier run?)`);
  }
}

function remember(set: Set<number>, id: number): void {
  set.add(id);
  if (set.size > HISTORY) set.delete(set.values().next().value!);
}
