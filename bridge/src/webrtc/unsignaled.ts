import { MediaStreamTrack, type RTCPeerConnection, type RTCRtpTransceiver, type RtpPacket } from 'werift';

/*
 * A Pigeon blob carries no a=ssrc line (it would cost QR bytes, and browsers route RTP without
 * one), so the SDP werift gets from the Pi's offer names no SSRC. werift 0.24 routes received RTP
 * only by a signaled SSRC or RID and silently drops the rest ("ssrcReceiver not found"). Browsers
 * take an unsignaled stream for the one receiver that can have it (RFC 8843's fallback): so does
 * this, for the single video section of a Pigeon offer.
 */

interface Router {
  ssrcTable: Record<number, unknown>;
  routeRtp: (packet: RtpPacket) => void;
  registerRtpReceiver(receiver: unknown, ssrc: number): void;
}

/** Routes RTP with an SSRC nobody signaled to `transceiver`, which gets a remote track for it. */
export function takeUnsignaledRtp(pc: RTCPeerConnection, transceiver: RTCRtpTransceiver): void {
  const router = (pc as unknown as { router: Router }).router;
  const route = router.routeRtp;
  router.routeRtp = (packet) => {
    const { ssrc } = packet.header;
    if (router.ssrcTable[ssrc] === undefined) {
      router.registerRtpReceiver(transceiver.receiver, ssrc);
      transceiver.addTrack(new MediaStreamTrack({ ssrc, kind: 'video', remote: true, codec: transceiver.codecs[0] }));
    }
    route(packet);
  };
}
