/**
 * What other apps (a Tauri shell, any web page) import to embed Pigeon without the rest of the
 * page: `<pigeon-viewer>` and its typed events, and the `<qr-view>` to show its answer.
 */
export { PigeonViewer } from './components/pigeon-viewer.ts';
export { QrScan } from './components/qr-scan.ts';
export { QrView } from './components/qr-view.ts';
export type { GivenBlob, PeerStatus } from './controllers/connection-controller.ts';
export { ConnectionError, viewerErrorOf } from './events/viewer-error.ts';
export { nativeTransport } from './transport/native.ts';
export type {
  EncodedFrames,
  EncodedVideoFrame,
  Transport,
  TransportChannel,
  TransportEvents,
  TransportKind,
  TransportSample,
  TransportState,
  VideoFeed,
} from './transport/transport.ts';
export { viewerError } from './events/index.ts';
export type {
  AnswerDetail,
  BlobDetail,
  ConnectionErrorCode,
  DetectionsDetail,
  OfferDetail,
  RefusalDetail,
  ScanDetail,
  SettingsDetail,
  TelemetryDetail,
  ViewerErrorDetail,
  ViewerStats,
} from './events/index.ts';
export type { Box, StreamLimits, StreamSettings } from './signal/index.ts';
export type { TransportPreference } from './transport/choose.ts';
