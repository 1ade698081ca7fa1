// The one file that loads node-datachannel (libdatachannel). Everything else in Pigeon reaches the
// library through this engine module, and this file checks, the moment it loads, that every member
// the engine calls exists, so a different library version fails at start-up naming what it lacks
// instead of breaking the first viewer's connection.
import { createRequire } from 'node:module';
import type * as Library from 'node-datachannel';
import { EngineError } from './errors.ts';

export type { DataChannel, PeerConnection, Track, Video } from 'node-datachannel';
export type Native = typeof Library;

/** The prototype members of each class the engine calls; a missing one is a start-up error. */
const MEMBERS = {
  PeerConnection: [
    'close', 'setLocalDescription', 'setRemoteDescription', 'localDescription', 'remoteFingerprint', 'createDataChannel',
    'addTrack', 'state', 'iceState', 'gatheringState', 'signalingState', 'onStateChange', 'onGatheringStateChange',
    'onDataChannel', 'bytesReceived', 'rtt', 'getSelectedCandidatePair',
  ],
  Video: ['addVideoCodec', 'addSSRC'],
  Track: ['sendMessageBinary', 'onOpen', 'onMessage', 'isOpen', 'requestKeyframe', 'setMediaHandler'],
} as const;
const FUNCTIONS = ['cleanup', 'PeerConnection', 'Video', 'Track', 'RtcpReceivingSession'] as const;

function load(): Native {
  let library: Native;
  try {
    library = createRequire(import.meta.url)('node-datachannel') as Native;
  } catch (error) {
    throw new EngineError(
      'E_ENGINE_LOAD',
      `the WebRTC library node-datachannel did not load on ${process.platform}-${process.arch} (Node ${process.versions.node}): ` +
        `${error instanceof Error ? error.message : String(error)}; reinstall with npm ci, which fetches its prebuilt binary`,
      { cause: error },
    );
  }
  return check(library);
}

/** Throws E_ENGINE_MISSING naming every member the engine needs that `library` lacks. */
export function check(library: Native): Native {
  const record = library as unknown as Record<string, unknown>;
  const missing: string[] = FUNCTIONS.filter((name) => typeof record[name] !== 'function');
  for (const [klass, members] of Object.entries(MEMBERS)) {
    const prototype = (record[klass] as { prototype?: Record<string, unknown> } | undefined)?.prototype;
    for (const member of members) if (typeof prototype?.[member] !== 'function') missing.push(`${klass}.${member}`);
  }
  // The data channel's class is not exported; its members are checked on the first channel (see checkChannel).
  if (missing.length > 0) {
    throw new EngineError('E_ENGINE_MISSING', `node-datachannel lacks ${missing.join(', ')}, which Pigeon's engine calls; install the version engine/package.json names`);
  }
  return library;
}

const CHANNEL_MEMBERS = ['sendMessage', 'onOpen', 'onMessage', 'isOpen', 'bufferedAmount', 'close'] as const;

/** The data channel has no exported class to check at load; each channel is checked as it appears. */
export function checkChannel(channel: object): void {
  const record = channel as Record<string, unknown>;
  const missing = CHANNEL_MEMBERS.filter((member) => typeof record[member] !== 'function');
  if (missing.length > 0) {
    throw new EngineError('E_ENGINE_MISSING', `node-datachannel's DataChannel lacks ${missing.map((m) => `DataChannel.${m}`).join(', ')}, which Pigeon's engine calls`);
  }
}

export const native: Native = load();
