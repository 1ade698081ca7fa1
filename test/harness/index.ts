// The shared test rigs, one import for tests and benchmarks alike: the real agent as a child
// process, real browsers (Chromium, Firefox) and werift / webrtcbin peers, the built page's driver,
// the stand-in camera, and the bounded waits every live test uses. Each rig's own tests sit beside
// it (peers.test.ts, webrtcbin.test.ts).
export { AgentProcess } from './agent-process.ts';
export { agentRig } from './agent-rig.ts';
export type { BrowserHandle, BrowserPeer, BrowserPeerOptions, VideoStats } from './browser-peer.ts';
export { launchChromium, type ChromiumHandle } from './chromium.ts';
export { FIREFOX_PATH, launchFirefox, type FirefoxHandle } from './firefox.ts';
export { runBin, runCli, type Run } from './cli.ts';
export { eventually } from './eventually.ts';
export { joinChromiumViewer } from './join-viewer.ts';
export { NetnsPair, netnsUnavailable } from './netns.ts';
export { rng } from './rng.ts';
export { PAGE, firstFrame, inViewer, look, open, paste, probe, resize, screenshots, until, watchAgent, type Opened, type OpenOptions, type Seen } from './page-driver.ts';
export { MAX_GAP_MS, assertNoStall, controlGap, stallVerdict } from './stall.ts';
export { StandInCamera, onCameraFrame } from './stand-in-camera.ts';
export { screenshotDir } from './screenshot-dir.ts';
export { forgedFingerprint } from './forged-sdp.ts';
export type { TestPeer } from './test-peer.ts';
export {
  WEBRTCBIN_PACKAGES,
  WebrtcbinError,
  WebrtcbinPeer,
  webrtcbinAvailable,
  type WebrtcbinErrorCode,
  type WebrtcbinOptions,
  type WebrtcbinRole,
} from './webrtcbin.ts';
export { createWeriftPeer, takeOfferedDtlsRole, type WeriftPeer, type WeriftPeerOptions } from './werift.ts';
export { weriftViewer, type WeriftViewer } from './werift-viewer.ts';
export { BRIDGE_BIN, BridgeProcess } from './bridge-process.ts';
export { BridgedPages, type Bridged } from './bridged-page.ts';
export { WsPage } from './ws-page.ts';
export { APP_PAGE, AppPage, appSeen, type AppSeen } from './app-page.ts';
export { TestSshd, sshdUnavailable } from './sshd.ts';
export { HailoApp, hailoAppOverShm, type HailoAppOptions, type HailoAppRate } from './hailo-app.ts';
export { COUNT_DRAWS, PROBE, builtPageInChromium, builtPageInWebKit, builtPageUrl, clickViewerButton, pageShows, type BuiltPage, type BuiltSnapshot } from './built-page.ts';
