import { ipv4ToBytes, ipv6ToBytes, isMdnsName } from './ip.ts';

/** Which candidates a blob carries: the ones a viewer can use by default, the rest when asked. */
export interface CandidateFilter {
  /**
   * `drop` (the default) leaves out `<uuid>.local` candidates. They are names the far side can
   * only resolve with multicast DNS, and the peer that offers reachable addresses learns the
   * other's address from its connectivity checks anyway; dropping them keeps a browser's answer
   * in a version-5 QR. `keep` carries each as 16 bytes.
   */
  mdns?: 'drop' | 'keep';
  /**
   * `drop` (the default) leaves out ICE-TCP candidates: no Pigeon peer (werift, the page's
   * RTCPeerConnection facing the agent) connects over them, and GStreamer's webrtcbin lists two
   * per address (active and passive), 7 to 19 bytes each. `keep` carries them.
   */
  tcp?: 'drop' | 'keep';
  /**
   * `keep` (the default) carries IPv6 candidates, 19 bytes each; `drop` leaves them out, for
   * stacks that list every IPv6 address the machine has (webrtcbin: global, ULA and link-local)
   * when the viewer reaches the peer over IPv4. Pigeon's agent picks its addresses itself.
   */
  ipv6?: 'drop' | 'keep';
}

/** True when `filter` leaves this candidate out of a blob (compact or fallback alike). */
export function candidateDropped(transport: string, address: string, filter: CandidateFilter): boolean {
  if (transport.toLowerCase() === 'tcp' && (filter.tcp ?? 'drop') === 'drop') return true;
  if (isMdnsName(address)) return (filter.mdns ?? 'drop') === 'drop';
  return filter.ipv6 === 'drop' && ipv4ToBytes(address) === undefined && ipv6ToBytes(address) !== undefined;
}
