import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import type { AgentProcess } from './agent-process.ts';
import type { BrowserPeer } from './browser-peer.ts';
import type { ChromiumHandle } from './chromium.ts';

/**
 * A Chromium peer (not the page) answers the agent's next offer — one not in `used`, which then
 * holds it — and is returned once the agent says it joined and its data channel is open.
 */
export async function joinChromiumViewer(agent: AgentProcess, chromium: ChromiumHandle, used?: Set<number>): Promise<BrowserPeer> {
  const offer = await agent.next('offer', { where: (e) => !used?.has(e.offerId) });
  used?.add(offer.offerId);
  const viewer = await chromium.newPeer();
  const sdp = await viewer.acceptOffer(decodeBlob(offer.text).sdp);
  agent.write(encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId }).text);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  await viewer.waitForDataChannelOpen();
  return viewer;
}
