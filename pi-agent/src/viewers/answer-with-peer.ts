// A browser's offer answered: a new peer, and its answer as a blob to hand back (by a person, or
// over the data channel for a reconnect).
import { encodeBlob, type DecodedBlob, type EncodedBlob } from '@pigeon/signal';
import { keepCandidates } from './candidates.ts';
import type { PeerConfig, PeerEngine, ViewerPeer } from '../webrtc/viewer-peer.ts';

/**
 * A new peer on `engine` answering `offer`, and its answer as a blob; the peer is closed if that
 * cannot be made. `holdMs`: how long the answer may take to reach the page (--offer-ttl).
 */
export async function answerWithPeer(
  engine: PeerEngine,
  config: PeerConfig,
  offer: DecodedBlob,
  addresses: readonly string[],
  holdMs: number,
): Promise<{ peer: ViewerPeer; blob: EncodedBlob }> {
  const { peer, sdp } = await engine.answer(config, offer.sdp, holdMs);
  try {
    // The answer carries the page's own offer id back, so the page can match it to its offer.
    const options = offer.offerId === undefined ? {} : { offerId: offer.offerId };
    return { peer, blob: encodeBlob({ type: 'answer', sdp: keepCandidates(sdp, addresses) }, options) };
  } catch (error) {
    await peer.close();
    throw error;
  }
}
