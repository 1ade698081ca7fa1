// A real werift (pure Node) WebRTC peer standing in for the Pi agent: it sends
// one video codec and carries the 'pigeon' data channel.
import { RTCPeerConnection, type RTCDataChannel, type RTCRtpTransceiver } from 'werift';
// The agent's own codec and codec choice, so these tests exercise what the agent does.
import { codecParameters, pickWeriftCodec } from '../../pi-agent/src/webrtc/werift-codecs.ts';
import { Inbox } from './inbox.ts';
import type { TestPeer } from './test-peer.ts';

export interface WeriftPeerOptions {
  codec: 'H264' | 'VP8';
  ipv6?: boolean;
}

export type WeriftPeer = TestPeer;

// werift resolves `<uuid>.local` candidates itself but only asks for A records, so
// Chromium's IPv6 mDNS name never answers and leaves a 10 s timer that pc.close()
// cannot cancel, holding Node open. Chromium reaches our host candidate anyway and
// werift learns its address as peer-reflexive, so dropping them loses nothing.
// With no candidate left, "end-of-candidates" would tell werift there is nothing to wait for,
// and it fails before the peer-reflexive checks arrive.
function withoutMdnsCandidates(sdp: string): string {
  const lines = sdp.split(/\r?\n/).filter((line) => !/^a=candidate:\S+ \d+ \S+ \d+ \S+\.local /i.test(line));
  const anyLeft = lines.some((line) => line.startsWith('a=candidate:'));
  return lines.filter((line) => anyLeft || line !== 'a=end-of-candidates').join('\r\n');
}

export async function createWeriftPeer(opts: WeriftPeerOptions): Promise<WeriftPeer> {
  const codec = codecParameters(opts.codec);
  const pc = new RTCPeerConnection({
    iceServers: [],
    bundlePolicy: 'max-bundle',
    iceUseIpv6: opts.ipv6 ?? false,
    codecs: { video: [codec] },
  });

  let channel: RTCDataChannel | undefined;
  const inbox = new Inbox('werift data channel');
  let markOpen: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    markOpen = resolve;
  });

  const adopt = (dc: RTCDataChannel): void => {
    channel = dc;
    dc.stateChanged.subscribe((state) => {
      if (state === 'open') markOpen();
    });
    if (dc.readyState === 'open') markOpen();
    dc.onMessage.subscribe((data) => {
      inbox.put(typeof data === 'string' ? data : data.toString('utf8'));
    });
  };

  const states = (): string =>
    `connectionState=${pc.connectionState} iceConnectionState=${pc.iceConnectionState}`;

  const localSdp = (): string => {
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new Error('werift has no local description');
    return sdp;
  };

  return {
    async createOffer() {
      pc.addTransceiver('video', { direction: 'sendonly' });
      adopt(pc.createDataChannel('pigeon'));
      // werift's setLocalDescription resolves only after gathering finishes,
      // so the SDP already holds every candidate (non-trickle).
      await pc.setLocalDescription(await pc.createOffer());
      return localSdp();
    },
    async acceptOffer(sdp) {
      pc.onDataChannel.subscribe(adopt);
      await pc.setRemoteDescription({ type: 'offer', sdp: withoutMdnsCandidates(sdp) });
      const video = pc.getTransceivers().find((t: RTCRtpTransceiver) => t.kind === 'video');
      if (!video) throw new Error('remote offer has no video m-section');
      const chosen = pickWeriftCodec(video.codecs, opts.codec);
      if (!chosen) throw new Error(`remote offer has no ${opts.codec} matching ${codec.parameters ?? ''}`);
      video.codecs = [chosen];
      video.sender.codec = chosen;
      video.setDirection('sendonly');
      takeOfferedDtlsRole(pc, sdp);
      await pc.setLocalDescription(await pc.createAnswer());
      return localSdp();
    },
    async acceptAnswer(sdp) {
      await pc.setRemoteDescription({ type: 'answer', sdp: withoutMdnsCandidates(sdp) });
    },
    waitForDataChannelOpen(timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`werift data channel not open after ${timeoutMs} ms (${states()})`)),
          timeoutMs,
        );
        void opened.then(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async send(text) {
      if (channel?.readyState !== 'open') {
        throw new Error(`werift data channel not open (${states()})`);
      }
      channel.send(text);
    },
    nextMessage(timeoutMs = 10_000) {
      return inbox.next(timeoutMs, states);
    },
    async close() {
      await pc.close();
    },
  };
}

/**
 * werift 0.24 answers every offer as the DTLS client, whatever its a=setup says. An offer that
 * says a=setup:active (the Pi agent's: it is the client) needs the answerer to be the server, or
 * both ends send a ClientHello and nothing connects. Call between setRemoteDescription and
 * createAnswer.
 */
export function takeOfferedDtlsRole(pc: RTCPeerConnection, offerSdp: string): void {
  if (!/^a=setup:active\r?$/m.test(offerSdp)) return;
  for (const transport of pc.dtlsTransports) transport.role = 'server';
}
