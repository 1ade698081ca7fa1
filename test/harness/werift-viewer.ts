// A real werift viewer of the agent, as a Node program (a robot's controller, a script) would be:
// it answers the agent's offer receiving the video, and opens the 'pigeon' data channel.
import { RTCPeerConnection, type RTCDataChannel } from 'werift';
import { codecParameters } from '../../pi-agent/src/webrtc/werift-codecs.ts';
import { takeOfferedDtlsRole } from './werift.ts';

export interface WeriftViewer {
  /** The answer SDP, every candidate gathered. */
  sdp: string;
  /** Resolves when the agent's data channel is open; rejects after `timeoutMs`. */
  channelOpen(timeoutMs?: number): Promise<void>;
  send(text: string): void;
  /**
   * Sends one message however large, past the max-message-size the agent advertises (werift
   * refuses to, like a browser; another peer need not): werift's SCTP cuts it into 1 200-byte
   * DATA chunks.
   */
  sendPastLimit(text: string): void;
  /**
   * Sends every one of `texts` as its own message, as fast as werift's SCTP takes them: a hundred
   * at a time, the next hundred once those are sent. werift's sender wakes every waiting send each
   * time it transmits, so thousands handed over at once take it minutes, not seconds.
   */
  flood(texts: readonly string[]): Promise<void>;
  /** Every message the agent sent on the data channel so far, in order. */
  readonly received: readonly string[];
  /**
   * Leaves the way a Pigeon viewer does: `bye`, then the data channel closed (an SCTP stream
   * reset) and, once that is done, the connection. werift 0.24's pc.close() alone puts nothing
   * on the wire (it stops DTLS before SCTP can send its ABORT, and sends no close alert).
   */
  leave(reason: string): Promise<void>;
  /** Only pc.close(): to the agent, as if the viewer's network had gone. */
  vanish(): Promise<void>;
}

export async function weriftViewer(offerSdp: string): Promise<WeriftViewer> {
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', codecs: { video: [codecParameters('H264')], audio: [] } });
  let channel: RTCDataChannel | undefined;
  const received: string[] = [];
  const opened = new Promise<void>((resolve) => {
    pc.onDataChannel.subscribe((dc) => {
      channel = dc;
      dc.onMessage.subscribe((data) => received.push(typeof data === 'string' ? data : data.toString('utf8')));
      if (dc.readyState === 'open') resolve();
      dc.stateChanged.subscribe((state) => state === 'open' && resolve());
    });
  });
  await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  for (const transceiver of pc.getTransceivers()) transceiver.setDirection('recvonly');
  takeOfferedDtlsRole(pc, offerSdp);
  await pc.setLocalDescription(await pc.createAnswer());
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error('werift gave no answer');
  return {
    sdp,
    channelOpen(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the data channel did not open within ${timeoutMs} ms (${pc.connectionState})`)), timeoutMs);
      });
      return Promise.race([opened, late]).finally(() => clearTimeout(timer));
    },
    send(text) {
      if (channel?.readyState !== 'open') throw new Error('the data channel is not open');
      channel.send(text);
    },
    sendPastLimit(text) {
      const transport = pc.sctpTransport;
      if (channel?.readyState !== 'open' || !transport) throw new Error('the data channel is not open');
      // 0: no limit (werift's assertSendableMessageSize).
      transport.remoteMaxMessageSize = 0;
      channel.send(text);
    },
    async flood(texts) {
      const dc = channel;
      if (dc?.readyState !== 'open') throw new Error('the data channel is not open');
      for (let i = 0; i < texts.length; i++) {
        dc.send(texts[i]!);
        if (i % 100 === 99) while (dc.bufferedAmount > 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    received,
    async leave(reason) {
      const dc = channel;
      if (dc?.readyState === 'open') {
        dc.send(JSON.stringify({ v: 1, type: 'bye', reason }));
        const closed = new Promise<void>((resolve) => dc.stateChanged.subscribe((state) => state === 'closed' && resolve()));
        dc.close();
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
      }
      await pc.close();
    },
    vanish: () => pc.close(),
  };
}
