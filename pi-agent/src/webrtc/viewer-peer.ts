// What the rest of the agent knows of one viewer's WebRTC connection: the events and calls that
// viewers/ and rtp/fan-out.ts use, which both engines' peers implement (werift's in peer.ts,
// libdatachannel's in engine-peer.ts), and the engine that makes them (engine-choice.ts picks one).
import type { EventEmitter } from 'node:events';
import { codecLabel, type VideoCodec } from '@pigeon/engine/codecs';
import { AgentError, PeerError } from '../core/errors.ts';

export type { VideoCodec };
export type PeerState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** A STUN or TURN server, as WebRTC configurations name one. */
export interface PeerIceServer {
  urls: string;
  username?: string;
  credential?: string;
}

export interface PeerConfig {
  /** What the agent's encoders make, the preferred first: every offer carries them all. */
  codecs: readonly VideoCodec[];
  /** Empty by default: no STUN server is contacted unless the user names one. */
  iceServers: PeerIceServer[];
  ipv6: boolean;
}

export interface PeerEvents {
  state: [state: PeerState];
  /** The viewer asked for a keyframe (PLI or FIR). */
  keyframe: [];
  message: [text: string];
  /** A data-channel message refused before it was read: over the size cap, or one too many (E_TOO_LARGE, E_MSG_FLOOD). */
  refused: [error: AgentError];
  /** The data channel opened; `channelIsOpen` says so to a listener that comes later. */
  channelOpen: [];
  /** The viewer ended the connection from its side (its data channel closed). Never for a close of our own. */
  gone: [];
}

/** One viewer's connection, sending the encoder's RTP (sendonly video) with the 'pigeon' data channel beside it. */
export interface ViewerPeer extends EventEmitter<PeerEvents> {
  readonly state: PeerState;
  /** The codec this viewer receives, once the offer and answer are both known. */
  readonly codec: VideoCodec | undefined;
  /** Why the connection failed, when it is known: 'fingerprint', the viewer's certificate did not match its answer. */
  readonly failure: 'fingerprint' | undefined;
  /** True once the data channel has opened (and 'channelOpen' was emitted). */
  readonly channelIsOpen: boolean;
  acceptAnswer(sdp: string): Promise<void>;
  /** Forwards one RTP packet from the encoder, as this viewer's stream. */
  writeRtp(packet: Buffer): void;
  /** After the encoder restarted: its next packet follows straight on from the last one sent, `gapMs` later. */
  continueFrom(packet: Buffer, gapMs: number): void;
  /** An encoder RTP timestamp (or, without one, the last sent) on this viewer's RTP clock. */
  viewerTimestamp(encoderTimestamp?: number): number | undefined;
  /** After this machine's addresses changed: the path checked from where we are now; ms the viewer took to answer. */
  checkPath(): Promise<number | undefined>;
  /** Date.now() of the last thing heard from the viewer; undefined before the connection is up. */
  lastHeardAt(): number | undefined;
  send(text: string): boolean;
  /** Resolves once what was sent on the channel has arrived, or after `timeoutMs`. */
  flushed(timeoutMs: number): Promise<void>;
  rttMs(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** A WebRTC engine the agent can run its viewers' connections on. */
export interface PeerEngine {
  readonly name: EngineName;
  /** A peer with its offer made (a=setup:active) and every candidate gathered. */
  offer(config: PeerConfig): Promise<{ peer: ViewerPeer; sdp: string }>;
  /** A peer answering a browser's offer; PeerError E_NO_VIDEO / E_CODEC_MISMATCH before any peer is made. */
  answer(config: PeerConfig, offerSdp: string, holdMs: number): Promise<{ peer: ViewerPeer; sdp: string }>;
}

export type EngineName = 'werift' | 'libdatachannel';

/** The most bytes a data-channel message may have; every offer and answer advertise it. */
export const MAX_CHANNEL_MESSAGE_BYTES = 64 * 1024;
/** Data-channel messages a viewer may send, a second on average and at once (MessageBudget). */
export const MESSAGES_PER_SECOND = 50;
export const MESSAGE_BURST = 100;

/** The refusal of a data-channel message over the cap. */
export const tooLarge = (): AgentError =>
  new AgentError('E_TOO_LARGE', `a data-channel message over ${MAX_CHANNEL_MESSAGE_BYTES / 1024} KiB, the most one may be; the rest of it was dropped unread`);

/** The refusal of the first message past the budget. */
export const flooding = (): AgentError =>
  new AgentError('E_MSG_FLOOD', `over ${MESSAGE_BURST} data-channel messages at once or ${MESSAGES_PER_SECOND} a second; the rest are dropped unread until it slows down`);

/** The refusal of a browser's offer with no video section to send the camera on. */
export const noVideo = (): PeerError => new PeerError('E_NO_VIDEO', 'the offer has no video section to send the camera on');

/** The refusal of a browser's offer with none of `codecs`, the ones this agent's encoders make. */
export const codecMismatch = (codecs: readonly VideoCodec[]): PeerError =>
  new PeerError('E_CODEC_MISMATCH', `the offer has no ${codecs.map(codecLabel).join(' or ')} codec, which this agent's encoders make`);
