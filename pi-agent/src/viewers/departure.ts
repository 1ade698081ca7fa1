// What is said when a viewer's connection fails or closes: the reason it left (returned), and for an answer
// whose certificate did not match (a mistaken or forged answer) a refusal of its own, so a log can
// tell an attack from a firewall (given to `refused`). The viewer is dropped, so a fresh offer is shown after it.
import type { SessionEvent } from '../core/events.ts';

export function departure(
  id: number,
  state: 'failed' | 'closed',
  joined: boolean,
  failure: 'fingerprint' | undefined,
  refused: (event: SessionEvent) => void,
): string {
  if (state === 'closed') return 'closed';
  if (joined) return 'connection failed (network changed, or the viewer went away)';
  if (failure !== 'fingerprint') return 'its connection failed before it came up (ICE or DTLS: same network as the Pi? a firewall?)';
  refused({
    type: 'refused',
    code: 'E_DTLS_FINGERPRINT',
    reason: `viewer #${id}: its certificate did not match its answer's fingerprint (a mistaken or forged answer, not the network); a fresh code is shown for the right answer`,
  });
  return 'its certificate did not match its answer';
}
