import { ConnectionError, GATHER_MS, notUp } from '../events/viewer-error.ts';

/** Gathering that did not finish: what the browser did, in words. */
export class GatherTimeoutError extends ConnectionError {
  override readonly name = 'GatherTimeoutError';

  constructor(state: RTCIceGatheringState, localSdp: string | undefined) {
    const refused = /^m=video 0 /m.test(localSdp ?? '');
    super('E_GATHER_TIMEOUT', {
      detail: `ICE gathering is “${state}”` + (refused ? '; this browser refused the Pi’s video, most likely a codec it cannot play' : ''),
    });
  }
}

/** Non-trickle: the local description once it holds every candidate, within GATHER_MS. */
export async function gathered(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pc.removeEventListener('icegatheringstatechange', check);
        reject(new GatherTimeoutError(pc.iceGatheringState, pc.localDescription?.sdp));
      }, GATHER_MS);
      const check = (): void => {
        if (pc.iceGatheringState !== 'complete') return;
        clearTimeout(timer);
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      };
      pc.addEventListener('icegatheringstatechange', check);
    });
  }
  return localSdp(pc);
}

/**
 * Runs `action` (a setLocalDescription that restarts gathering) and then waits for gathering to
 * complete again: listening first, so the old `complete` state is not taken for the new one.
 */
export async function gatheredAfter(pc: RTCPeerConnection, action: () => Promise<void>): Promise<string> {
  let started = false;
  const done = new Promise<void>((resolve) => {
    const check = (): void => {
      if (pc.iceGatheringState === 'gathering') started = true;
      if (!started || pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', check);
  });
  await action();
  // Nothing new to gather (no restart, same transport): the description is already complete.
  if (pc.iceGatheringState === 'complete' && !started) await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 500))]);
  else await done;
  return localSdp(pc);
}

function localSdp(pc: RTCPeerConnection): string {
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new ConnectionError('E_WEBRTC', { detail: 'no local description after ICE gathering' });
  return sdp;
}

/** Resolves once `pc` is connected and `channel` open; rejects if either fails or `timeoutMs` passes. */
export function connectedWithChannel(pc: RTCPeerConnection, channel: RTCDataChannel, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(notUp(`did not come up within ${timeoutMs / 1000} s`)), timeoutMs);
    const check = (): void => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') finish(notUp(pc.connectionState));
      else if (channel.readyState === 'closed') finish(notUp('lost its data channel'));
      else if (pc.connectionState === 'connected' && channel.readyState === 'open') finish();
    };
    const finish = (error?: ConnectionError): void => {
      clearTimeout(timer);
      pc.removeEventListener('connectionstatechange', check);
      channel.removeEventListener('open', check);
      channel.removeEventListener('close', check);
      if (error) reject(error);
      else resolve();
    };
    pc.addEventListener('connectionstatechange', check);
    channel.addEventListener('open', check);
    channel.addEventListener('close', check);
    check();
  });
}
