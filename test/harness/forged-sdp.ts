/**
 * An SDP's a=fingerprint with its first byte changed, in every section: what a mistaken or forged
 * offer or answer carries (a man in the middle on the LAN would put his own certificate's there).
 */
export function forgedFingerprint(sdp: string): string {
  return sdp.replace(/^(a=fingerprint:\S+ )([0-9A-Fa-f]{2})/gm, (_, head: string, byte: string) => head + (parseInt(byte, 16) ^ 0xff).toString(16).padStart(2, '0').toUpperCase());
}
