// A bare page on the bridge client and src/playback alone (no Pigeon element): what the tests drive in Chromium and in
// WebKitGTK. `?bridge=URL#pigeon:…` connects and answers the offer, or, after a reload, takes
// its viewer over again; `window.bridgeTest` is how a test reads and steers it.
import { CanvasDecoder, decodableCodecs } from '../../../src/playback/index.ts';
import { BridgeClient, type BridgeClient as Client } from '../../../src/transport/bridge-client.ts';

/** What the page keeps about its connection; `snapshot()` adds the decoder's stats and `pixels`. */
export interface PageState {
  phase: string;
  webrtc: boolean;
  webcodecs: boolean;
  codecs: string[];
  viewer: number | null;
  answer: string | null;
  answerBytes: number;
  codec: string | null;
  statuses: string[];
  messages: number;
  telemetry: number;
  errors: string[];
  framesOnWire: number;
  keyframesOnWire: number;
  closed: string | null;
}

const state: PageState = {
  phase: 'starting',
  webrtc: typeof RTCPeerConnection !== 'undefined',
  webcodecs: typeof VideoDecoder !== 'undefined',
  codecs: [],
  viewer: null,
  answer: null,
  answerBytes: 0,
  codec: null,
  statuses: [],
  messages: 0,
  telemetry: 0,
  errors: [],
  framesOnWire: 0,
  keyframesOnWire: 0,
  closed: null,
};

const canvas = document.querySelector('canvas')!;
const sample = document.createElement('canvas');
sample.width = 32;
sample.height = 24;

/** A fingerprint of what the canvas shows now: changes when the picture moves. */
function pixels(): number {
  const context = sample.getContext('2d', { willReadFrequently: true });
  if (!context || canvas.width === 0) return 0;
  context.drawImage(canvas, 0, 0, sample.width, sample.height);
  const data = context.getImageData(0, 0, sample.width, sample.height).data;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum = (sum * 31 + (data[i] ?? 0)) >>> 0;
  return sum;
}

let client: Client | undefined;
let decoder: CanvasDecoder | undefined;

Object.assign(window, {
  bridgeTest: {
    snapshot: () => ({ ...state, ...(decoder?.stats() ?? {}), pixels: pixels() }),
    keyframe: () => client?.requestKeyframe(),
    send: (text: string) => client?.send(text),
    close: (reason: string) => client?.close(reason),
  },
});

async function run(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const url = params.get('bridge') ?? '';
  const offer = decodeURIComponent(location.hash.slice(1));
  // ?codecs=VP8 narrows what the page says it decodes, to test one codec.
  const only = params.get('codecs')?.split(',');
  state.codecs = (await decodableCodecs()).filter((codec) => !only || only.includes(codec));
  state.phase = 'connecting';
  const bridge = await BridgeClient.connect(url);
  client = bridge;
  const video = new CanvasDecoder(canvas, () => bridge.requestKeyframe());
  decoder = video;
  bridge.on('frame', (frame) => {
    state.framesOnWire++;
    if (frame.keyframe) state.keyframesOnWire++;
    video.decode(frame);
  });
  bridge.on('answer', (answer) => {
    state.viewer = answer.viewer;
    state.answer = answer.text;
    state.answerBytes = answer.bytes.length;
    state.codec = answer.codec;
    sessionStorage.setItem('pigeon-bridge-viewer', JSON.stringify({ viewer: answer.viewer, token: answer.token }));
  });
  bridge.on('status', (status) => {
    state.viewer = status.viewer;
    state.statuses.push(status.code ? `${status.state}:${status.code}` : status.state);
  });
  bridge.on('message', (text) => {
    state.messages++;
    if (text.includes('"telemetry"')) state.telemetry++;
  });
  bridge.on('error', (error) => state.errors.push(error.code));
  bridge.on('close', (close) => (state.closed = `${close.code}`));
  const saved = sessionStorage.getItem('pigeon-bridge-viewer');
  if (saved) {
    const { viewer, token } = JSON.parse(saved) as { viewer: number; token: string };
    state.phase = 'attaching';
    bridge.attach(viewer, token);
  } else {
    state.phase = 'answering';
    bridge.accept(offer, state.codecs.length > 0 ? (state.codecs as ('H264' | 'VP8')[]) : undefined);
  }
}

run().catch((error: unknown) => {
  state.phase = 'failed';
  state.errors.push((error as { code?: string }).code ?? String(error));
});
