/**
 * @pigeon/engine: Pigeon's one seam to its WebRTC library, node-datachannel (libdatachannel),
 * shared by pi-agent and pigeon-bridge. No other file imports the library.
 *
 * - `EnginePeer`: one peer connection with one video section and the data channel. `offer()` /
 *   `answer()` give a complete (non-trickle) description; our offers say `a=setup:active` (we are
 *   the DTLS client). Data-channel messages over `maxMessageBytes` are refused ('tooLarge'), the
 *   remote's certificate is checked against its fingerprint ('failure'), the state reaches
 *   'connected' only then. Sending: `sendRtp()` of packets an `RtpRewriter` made; 'keyframe' on a
 *   PLI/FIR; `rttMs()` from receiver reports. Receiving: 'rtp' events and `requestKeyframe()`.
 *   After an address change the path is checked again by libjuice's own consent check, within
 *   `CONSENT_CHECK_MAX_MS` (no earlier check can be asked for).
 * - `selfSignedCertificate()`: a DTLS certificate to give peers (`EngineConfig.certificate`) that
 *   must be the same DTLS endpoint; with the same `port` and ICE credentials, a peer answering the
 *   same offer again is the endpoint the first answer described.
 * - `RtpRewriter`: per-peer SSRC, payload type, sequence and timestamp of a forwarded stream.
 * - `CODECS`, `pickCodec`, `preferred`, `videoSection`: the one codec table and its matching.
 * - The library is loaded and self-checked when this module loads (EngineError E_ENGINE_LOAD /
 *   E_ENGINE_MISSING); it is cleaned up by itself once the last peer has closed (`engineIdle()`).
 */
export { selfSignedCertificate, type Certificate } from './certificate.ts';
export { CODECS, RTCP_FEEDBACK, codecLabel, pickCodec, preferred, type CodecSpec, type OfferedCodec, type VideoCodec } from './codecs.ts';
export { EngineError, type EngineErrorCode } from './errors.ts';
export { engineIdle, livePeers } from './lifetime.ts';
export { check as checkEngine } from './native.ts';
export { CONSENT_CHECK_MAX_MS, EnginePeer, type EngineConfig, type EnginePeerEvents, type EndpointIdentity, type IceCredentials, type EngineState, type IceServer, type VideoPlan } from './peer.ts';
export { RtpRewriter, randomSsrc } from './rtp.ts';
export { candidatePorts, fingerprintOf, setupOf, videoSection, type VideoSection } from './sdp.ts';
