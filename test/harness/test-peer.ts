/**
 * One side of a live WebRTC session in a test, whichever stack runs it (Chromium or werift):
 * video plus the 'pigeon' data channel, with non-trickle SDPs (all candidates gathered).
 */
export interface TestPeer {
  /** Offer video (recvonly in Chromium, sendonly in werift) + data channel; the gathered SDP. */
  createOffer(): Promise<string>;
  /** Answer the far side's offer; returns the gathered answer SDP. */
  acceptOffer(sdp: string): Promise<string>;
  acceptAnswer(sdp: string): Promise<void>;
  waitForDataChannelOpen(timeoutMs?: number): Promise<void>;
  send(text: string): Promise<void>;
  nextMessage(timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}
