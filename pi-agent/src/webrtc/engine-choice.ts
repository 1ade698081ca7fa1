// Which WebRTC engine the agent runs its viewers' connections on, chosen once at start from
// PIGEON_ENGINE: `werift` (JavaScript, the default so far) or `libdatachannel` (@pigeon/engine,
// native). Each is loaded only when chosen, so one engine's load failing never touches the other.
import { AgentError } from '../core/errors.ts';
import type { EngineName, PeerEngine } from './viewer-peer.ts';

/** The engine when PIGEON_ENGINE is not set. */
export const DEFAULT_ENGINE: EngineName = 'werift';

/** The engine PIGEON_ENGINE names (or the default); E_CONFIG for a name that is neither. */
export async function chooseEngine(env: NodeJS.ProcessEnv): Promise<PeerEngine> {
  const name = env.PIGEON_ENGINE === undefined || env.PIGEON_ENGINE === '' ? DEFAULT_ENGINE : env.PIGEON_ENGINE;
  if (name === 'werift') return (await import('./peer.ts')).weriftEngine;
  if (name === 'libdatachannel') return (await import('./engine-peer.ts')).libdatachannelEngine;
  throw new AgentError('E_CONFIG', `PIGEON_ENGINE=${name} is no WebRTC engine of this agent; say werift or libdatachannel (or leave it unset for ${DEFAULT_ENGINE})`);
}
