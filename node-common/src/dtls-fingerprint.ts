import { PigeonError } from '@pigeon/signal';
import type { RTCDtlsTransport } from 'werift';

/*
 * werift 0.24 checks the viewer's DTLS certificate against the answer's a=fingerprint in
 * RTCDtlsTransport.start(), after the handshake, and on a mismatch throws an Error whose message is
 * all that tells it from any other DTLS failure; RTCPeerConnection swallows it (Promise.allSettled)
 * and says only 'failed'. So start() — a public method — is wrapped here, at this one place, to
 * remember that message. test/agent/fingerprint.test.ts checks werift still says it this way.
 */
export const WERIFT_MISMATCH = 'remote certificate fingerprint mismatch';

/** Calls `mismatched` when `transport`'s DTLS fails because the certificate does not match the answer. */
export function onFingerprintMismatch(transport: RTCDtlsTransport, mismatched: () => void): void {
  if (typeof transport.start !== 'function') throw new PigeonError('E_WERIFT_CHANGED', 'werift changed: RTCDtlsTransport.start() is gone (node-common/src/dtls-fingerprint.ts)');
  const start = transport.start.bind(transport);
  transport.start = async () => {
    try {
      await start();
    } catch (error) {
      if (error instanceof Error && error.message === WERIFT_MISMATCH) mismatched();
      throw error;
    }
  };
}
