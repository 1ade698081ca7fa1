// What pi-agent and pigeon-bridge share on Node that is neither the blob codec (@pigeon/signal) nor
// the WebRTC engine (@pigeon/engine): children tied to their parent's life, and the one seam that
// tells a DTLS fingerprint mismatch from any other DTLS failure in werift.
export { spawnTied } from './spawn-tied.ts';
export { onFingerprintMismatch, WERIFT_MISMATCH } from './dtls-fingerprint.ts';
