import { utf8Decode, utf8Encode } from './utf8.ts';
import { Inflate, deflateRaw } from 'pako';
import { SignalError } from './errors.ts';
import { candidateDropped, type CandidateFilter } from './candidate-filter.ts';

/**
 * Fallback mode: the whole SDP, deflated against a preset dictionary of the lines every WebRTC
 * SDP repeats. It carries anything, so no description is ever refused for being unusual; it is
 * just larger than compact mode.
 */
export const MAX_SDP_BYTES = 64 * 1024;

// zlib finds the dictionary's last bytes cheapest, so the most common text comes last.
const DICTIONARY = utf8Encode(
  [
    'a=extmap:1 urn:ietf:params:rtp-hdrext:toffset',
    'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'a=extmap:3 urn:3gpp:video-orientation',
    'a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    'a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
    'a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
    'a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'a=rtpmap:96 VP8/90000',
    'a=rtpmap:98 VP9/90000',
    'a=fmtp:98 profile-id=0',
    'a=rtpmap:45 AV1/90000',
    'a=fmtp:45 level-idx=5;profile=0;tier=0',
    'a=rtpmap:102 H264/90000',
    'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    'a=rtcp-fb:96 goog-remb',
    'a=rtcp-fb:96 transport-cc',
    'a=rtcp-fb:96 ccm fir',
    'a=rtcp-fb:96 nack',
    'a=rtcp-fb:96 nack pli',
    'a=ssrc:1 cname:',
    'a=msid:- ',
    'a=rtcp-rsize',
    'a=rtcp-mux',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=sendonly',
    'a=recvonly',
    'a=sendrecv',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    'a=ice-options:trickle',
    'a=end-of-candidates',
    ' typ host generation 0 network-cost 999',
    ' typ srflx raddr 0.0.0.0 rport 0 generation 0',
    'a=candidate:1 1 udp 2122260223 ',
    '.local ',
    'a=setup:actpass',
    'a=setup:active',
    'a=fingerprint:sha-256 ',
    'a=ice-pwd:',
    'a=ice-ufrag:',
    'a=mid:0',
    'a=mid:1',
    'c=IN IP4 0.0.0.0',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'a=msid-semantic: WMS',
    'a=extmap-allow-mixed',
    'a=group:BUNDLE 0 1',
    'v=0\no=- 0 2 IN IP4 127.0.0.1\ns=-\nt=0 0',
    '',
  ].join('\n'),
);

/**
 * Leaves out what compact mode leaves out, so a fallback blob connects the same way: the candidates
 * the filter drops (`<uuid>.local` and TCP ones unless kept, IPv6 ones when asked), and then `a=end-of-candidates` in any section with no
 * candidate left. werift resolves mDNS names late and reads end-of-candidates with nothing to try
 * as "ICE failed" at once, before the browser's checks could teach it a peer-reflexive address.
 */
export function trimForFallback(sdp: string, options: CandidateFilter = {}): string {
  const lines = sdp.split(/\r?\n/);
  const dropped = (line: string): boolean => {
    if (!line.startsWith('a=candidate:')) return false;
    const fields = line.split(/\s+/);
    return candidateDropped(fields[2] ?? '', fields[4] ?? '', options);
  };
  const kept = lines.filter((line) => !dropped(line));
  const sections: string[][] = [[]];
  for (const line of kept) {
    if (line.startsWith('m=')) sections.push([]);
    sections.at(-1)!.push(line);
  }
  return sections
    .flatMap((section) =>
      section.some((line) => line.startsWith('a=candidate:')) ? section : section.filter((line) => line !== 'a=end-of-candidates'),
    )
    .join('\r\n');
}

export function deflateSdp(sdp: string): Uint8Array {
  const normalized = sdp.replace(/\r\n/g, '\n');
  return deflateRaw(utf8Encode(normalized), { level: 9, dictionary: DICTIONARY });
}

export function inflateSdp(payload: Uint8Array): string {
  const inflate = new Inflate({ raw: true, dictionary: DICTIONARY });
  const chunks: Uint8Array[] = [];
  let total = 0;
  let tooLarge = false;
  // Stop as soon as the output passes the cap, so a small hostile blob cannot make a huge string.
  inflate.onData = (chunk) => {
    total += chunk.length;
    if (total > MAX_SDP_BYTES) tooLarge = true;
    else chunks.push(chunk);
  };
  inflate.onEnd = () => undefined;
  // Deflate expands at most ~1 000 times: 32 bytes at a time, a bomb overshoots the cap by
  // 32 KiB at most before it is stopped, instead of inflating a quarter of a megabyte a step.
  const step = 32;
  for (let i = 0; i < payload.length && !tooLarge && !inflate.ended; i += step) {
    inflate.push(payload.subarray(i, i + step), i + step >= payload.length);
  }
  if (tooLarge) throw new SignalError('E_TOO_LARGE', `its session description expands past ${MAX_SDP_BYTES / 1024} KiB, the most one may be`);
  if (inflate.err || !inflate.ended) {
    throw new SignalError('E_MALFORMED', `deflate stream: ${inflate.msg || 'incomplete'}`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return utf8Decode(out).replace(/\n/g, '\r\n');
}
