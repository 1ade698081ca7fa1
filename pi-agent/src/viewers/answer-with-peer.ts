// A browser's offer answered: a new peer, and its answer as a blob to hand back (by a person, or
// over the data channel for a reconnect).
import { encodeBlob, type DecodedBlob, type EncodedBlob } from '@pigeon/signal';
import { keepCandidates } from './candidates.ts';
import { ViewerPeer, type PeerConfig } from '../webrtc/peer.ts';

/** A new peer answering `offer`, and its answer as a blob; the peer is closed if that cannot be made. */
export async function answerWithPeer(config: PeerConfig, offer: DecodedBlob, addresses: readonly string[]): Promise<{ peer: ViewerPeer; blob: EncodedBlob }> {
  const { peer, sdp } = await ViewerPeer.answer(config, offer.sdp);
  try {
    // The answer carries the page's own offer id back, so the page can match it to its offer.
    const options = offer.offerId === undefined ? {} : { offerId: offer.offerId };
    return { peer, blob: encodeBlob({ type: 'answer', sdp: keepCandidates(sdp, addresses) }, options) };
  } catch (error) {
    await peer.close();
    throw error;
  }
}
