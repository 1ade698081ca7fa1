// RTP payloads back to frames, for the codecs the agent sends (the bridge's own; no library's).
export { readRtp, type RtpView } from './rtp.ts';
export { h264AccessUnit, hasIdr } from './h264.ts';
export { vp8Frame } from './vp8.ts';
