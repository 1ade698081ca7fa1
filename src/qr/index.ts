/**
 * QR codes without a DOM: the module matrix for a blob's bytes, drawn as terminal text or SVG, and
 * the segments of a `pigeon:` link. What the page and pi-agent share; the page's own canvas
 * renderer (canvas.ts) needs a DOM and is imported by the page directly.
 */
export { qrMatrix, type EccLevel, type QrMatrix } from './matrix.ts';
export { renderTerminal, type TerminalOptions } from './terminal.ts';
export { renderSvg } from './svg.ts';
export { linkSegments } from './link-segments.ts';
export { QrError, type QrErrorCode } from './errors.ts';
