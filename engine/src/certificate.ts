// A DTLS certificate of our own making: an ECDSA P-256 key and a self-signed X.509 certificate
// for it, built with node:crypto alone (Node has no certificate writer, so the few DER fields are
// written here). libdatachannel makes a fresh one for every peer connection unless it is given
// one; a connection that must be *the same* DTLS endpoint as an earlier one (the same fingerprint
// in a description already handed out) is given the earlier one's.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

export interface Certificate {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PEM (PKCS #8). */
  key: string;
  /** SHA-256 of the certificate's DER, upper-case hex pairs joined by ':' as a=fingerprint writes it. */
  fingerprint: string;
}

/** How long a certificate made here is valid: a viewer's connection is far shorter. */
const VALID_DAYS = 30;

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

const sequence = (...content: Buffer[]): Buffer => der(0x30, ...content);
/** ecdsa-with-SHA256 (1.2.840.10045.4.3.2), which signs the certificate. */
const ECDSA_SHA256 = sequence(Buffer.from('06082a8648ce3d040302', 'hex'));

/** UTCTime (YYMMDDHHMMSSZ), good until 2049. */
function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return der(0x17, Buffer.from(`${text}Z`, 'ascii'));
}

/** A Name of one common name (2.5.4.3). */
const commonName = (name: string): Buffer => sequence(der(0x31, sequence(Buffer.from('0603550403', 'hex'), der(0x0c, Buffer.from(name, 'utf8')))));

/** A fresh key and a self-signed certificate for it, named `name`. */
export function selfSignedCertificate(name = 'pigeon'): Certificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = randomBytes(8);
  serial[0] = serial[0]! & 0x7f; // a positive INTEGER
  const now = Date.now();
  const tbs = sequence(
    der(0x02, serial),
    ECDSA_SHA256,
    commonName(name),
    sequence(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + VALID_DAYS * 86_400_000))),
    commonName(name),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = sequence(tbs, ECDSA_SHA256, der(0x03, Buffer.from([0]), signature));
  const base64 = certificate.toString('base64').replace(/.{1,64}/g, '$&\n');
  const digest = createHash('sha256').update(certificate).digest('hex').toUpperCase();
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    fingerprint: digest.replace(/(..)(?!$)/g, '$1:'),
  };
}
