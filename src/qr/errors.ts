import { PigeonError } from '../signal/pigeon-error.ts';

/** What can stop a QR code being drawn: no surface to draw it on, or too little room for it. */
export type QrErrorCode = 'E_QR_NO_CANVAS' | 'E_QR_TOO_WIDE';

export class QrError extends PigeonError<QrErrorCode> {
  override readonly name = 'QrError';
}
