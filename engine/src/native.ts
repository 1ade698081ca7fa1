// The one file that loads node-datachannel (libdatachannel). Everything else in Pigeon reaches the
// library through this engine module, and this file checks, the moment it loads, that every member
// the engine calls exists, so a different library version fails at start-up naming what it lacks
// instead of breaking the first viewer's connection.
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
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

/** The library's binary as a single executable (pigeon-bridge's) carries it: beside the executable. */
const BINARY_BESIDE_EXECUTABLE = 'node_datachannel.node';

/**
 * Inside a single executable application (scripts/build-bridge-exe.sh) there is no node_modules and
 * require() loads only Node's own modules, so the binary node-datachannel would load is shipped
 * with the executable: PIGEON_ENGINE_BINARY names it (a Tauri app that bundles it as a resource
 * sets that for its sidecar), or else it is beside the executable. Its exports are the very
 * classes the package re-exports. node:sea exists from Node 20.12: an older Node is never a single
 * executable of ours.
 */
function shippedBinary(): string | undefined {
  if (!isBuiltin('node:sea')) return undefined;
  const sea = createRequire(process.execPath)('node:sea') as { isSea(): boolean };
  if (!sea.isSea()) return undefined;
  const named = process.env.PIGEON_ENGINE_BINARY;
  return named !== undefined && named !== '' ? named : join(dirname(process.execPath), BINARY_BESIDE_EXECUTABLE);
}

function load(): Native {
  const binary = shippedBinary();
  let library: Native;
  try {
    library = (binary === undefined ? createRequire(import.meta.url)('node-datachannel') : createRequire(process.execPath)(binary)) as Native;
  } catch (error) {
    // The first line: Node's own message goes on with a require stack.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new EngineError(
      'E_ENGINE_LOAD',
      binary === undefined
        ? `the WebRTC library node-datachannel did not load on ${process.platform}-${process.arch} (Node ${process.versions.node}): ${reason}; reinstall with npm ci, which fetches its prebuilt binary`
        : `the WebRTC library's binary did not load from ${binary}: ${reason}; it ships with this executable (scripts/build-bridge-exe.sh puts it beside it; PIGEON_ENGINE_BINARY names another place), built for ${process.platform}-${process.arch}`,
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
