/**
 * What a compact blob carries: the parts of a WebRTC session description that the far side
 * cannot know. Everything else (codec feedback, session lines, transport boilerplate) is rebuilt.
 */
export type BlobType = 'offer' | 'answer';
export type BlobMode = 'compact' | 'fallback';
export type Setup = 'actpass' | 'active' | 'passive';
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type MediaKind = 'audio' | 'video' | 'application';
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';
export type TcpType = 'active' | 'passive' | 'so';

export interface Fingerprint {
  /** Lower-case hash name as in SDP, e.g. `sha-256`. */
  algorithm: string;
  digest: Uint8Array;
}

export interface Candidate {
  type: CandidateType;
  protocol: 'udp' | 'tcp';
  tcpType?: TcpType;
  /** Dotted IPv4, IPv6 text, or a `<uuid>.local` mDNS name. */
  address: string;
  port: number;
}

export interface Codec {
  /** Canonical encoding name as in rtpmap, e.g. `H264`, `VP8`, `opus`. */
  name: string;
  payloadType: number;
  /** fmtp parameters, lower-case keys. */
  params: Record<string, string>;
}

export interface MediaSection {
  kind: MediaKind;
  mid: string;
  direction: Direction;
  /** Audio/video only, in the order of preference of the SDP. */
  codecs: Codec[];
  /**
   * Refused by the answerer (`m=… 0`, no `a=bundle-only`): it keeps its place so the answer's
   * sections line up with the offer's, but has no transport and is in no BUNDLE group.
   */
  rejected?: true;
  /** Data channel only. */
  sctpPort?: number;
  maxMessageSize?: number;
}

export interface Session {
  ufrag: string;
  pwd: string;
  iceLite: boolean;
  fingerprint: Fingerprint;
  setup: Setup;
  candidates: Candidate[];
  media: MediaSection[];
}
