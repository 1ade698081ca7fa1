import type { Message, RTCPeerConnection } from 'werift';

/*
 * A viewer's path after this machine's address changed (DHCP renew, Wi-Fi roam), when both ends
 * are still there. werift 0.24 binds each ICE socket to the wildcard address (0.0.0.0 or ::; only
 * the candidate names a host address: it passes no interfaceAddresses here), so the socket of the
 * pair in use goes on working, the kernel giving its packets the new source address. A browser
 * takes a binding request with the right credentials from an unknown address as a peer-reflexive
 * candidate, answers it, and switches to it (at once as the controlled side when the request
 * nominates it with USE-CANDIDATE; as the controlling side once the old pair stops answering). Then
 * DTLS, SRTP and SCTP go on as they were: nothing above ICE sees a change.
 *
 * werift sends such a request by itself only as an RFC 7675 consent check, every 4-6 s, never
 * nominating, so the video would stay frozen for up to 6 s (measured: 5.2 s). This sends one now
 * and every `everyMs` until the viewer answers, with USE-CANDIDATE when werift controls ICE (the
 * connections the agent offers). Only werift's request builder is private (ice.d.ts); the pair,
 * its socket and the credentials are its public IceConnection fields.
 */

interface RequestBuilder {
  buildRequest(request: { nominate: boolean; localUsername: string; remoteUsername: string; iceControlling: boolean; localCandidate: unknown }): Message;
}

/** Resolves with how long the viewer took to answer, in ms, or undefined if it did not within `forMs` (or the connection went). */
export async function checkPathNow(pc: RTCPeerConnection, everyMs = 500, forMs = 10_000): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < forMs) {
    const connection = pc.iceTransports[0]?.connection;
    const pair = connection?.nominated;
    if (!connection || !pair || connection.state === 'closed' || connection.state === 'failed') return undefined;
    const builder = connection as unknown as Partial<RequestBuilder>;
    // A werift without it (a later version): its own consent checks still repair the path, later.
    if (typeof builder.buildRequest !== 'function') return undefined;
    const { localUsername, remoteUsername, remotePassword, iceControlling } = connection;
    const request = builder.buildRequest({
      nominate: iceControlling,
      localUsername,
      remoteUsername,
      iceControlling,
      localCandidate: pair.localCandidate,
    });
    const sentAt = Date.now();
    try {
      // One send, no retransmission: the next round is a fresh request, on a steady beat.
      await pair.protocol.request(request, pair.remoteAddr, Buffer.from(remotePassword, 'utf8'), { retransmissions: 0, responseTimeout: everyMs });
      return Date.now() - started;
    } catch {
      // No answer yet (no route while the address is away, or the packet was lost): again.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + everyMs - Date.now())));
    }
  }
  return undefined;
}
