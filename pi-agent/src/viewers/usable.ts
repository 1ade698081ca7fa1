import { SignalError, type DecodedBlob, type Session } from '@pigeon/signal';
import type { VideoCodec } from '../webrtc/viewer-peer.ts';

/**
 * Whether a blob that decoded (checksum fine, an SDP inside) describes a session this agent can
 * connect, checked before anything is spent on it: an answer that fails here leaves its offer
 * open, instead of burning it in werift and failing 1.5 s later as "connection failed".
 * Throws E_SDP_INVALID saying what is wrong.
 *
 * A browser's offer gets the transport checks only: what it lacks in video is refused by
 * ViewerPeer.answer with codes of its own (E_NO_VIDEO, E_CODEC_MISMATCH) before a peer exists.
 */
export function checkUsable(blob: DecodedBlob, codecs: readonly VideoCodec[]): void {
  const problem = transportProblem(blob.session) ?? (blob.type === 'answer' ? answerProblem(blob.session, codecs) : undefined);
  if (problem !== undefined) throw new SignalError('E_SDP_INVALID', problem);
}

// RFC 8839: a ufrag is 4 to 256 characters, a password 22 to 256.
const UFRAG = { min: 4, max: 256 };
const PWD = { min: 22, max: 256 };
const DIGEST_BYTES: Record<string, number> = { 'sha-1': 20, 'sha-224': 28, 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 };
/** Each candidate costs connectivity checks; a real viewer has a handful. */
const MAX_CANDIDATES = 32;

function transportProblem(session: Session): string | undefined {
  const { ufrag, pwd, fingerprint, candidates } = session;
  if (ufrag.length < UFRAG.min || ufrag.length > UFRAG.max) return `its ICE ufrag has ${ufrag.length} characters, not ${UFRAG.min} to ${UFRAG.max}`;
  if (pwd.length < PWD.min || pwd.length > PWD.max) return `its ICE password has ${pwd.length} characters, not ${PWD.min} to ${PWD.max}`;
  const digestBytes = DIGEST_BYTES[fingerprint.algorithm];
  if (digestBytes === undefined) return `its DTLS fingerprint uses "${fingerprint.algorithm.slice(0, 16)}", not a hash WebRTC uses`;
  if (fingerprint.digest.length !== digestBytes) return `its ${fingerprint.algorithm} fingerprint has ${fingerprint.digest.length} bytes, not ${digestBytes}`;
  if (candidates.length > MAX_CANDIDATES) return `it has ${candidates.length} candidates; a viewer needs a few, at most ${MAX_CANDIDATES}`;
  return undefined;
}

function answerProblem(session: Session, codecs: readonly VideoCodec[]): string | undefined {
  // The agent's offers say a=setup:active (it is the DTLS client), so the answerer is the server.
  if (session.setup !== 'passive') {
    const werift = session.setup === 'active' ? ' (werift 0.24 answers every offer as the client: set its DTLS transports\' role to "server" before createAnswer)' : '';
    return `the agent offered as the DTLS client, so an answer must say a=setup:passive, and this one says ${session.setup}${werift}`;
  }
  const video = session.media.find((m) => m.kind === 'video');
  if (!video) return 'it has no video section, so the camera could not be sent';
  if (video.direction !== 'recvonly' && video.direction !== 'sendrecv') return `its video section is ${video.direction}, so it would not receive the camera`;
  if (!video.codecs.some((c) => codecs.includes(c.name.toUpperCase() as VideoCodec))) {
    return `its video section has none of ${codecs.map((c) => (c === 'H264' ? 'H.264' : 'VP8')).join(' and ')}, the codecs this agent's encoders make`;
  }
  return undefined;
}
