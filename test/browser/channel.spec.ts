import { expect } from 'chai';
import '../../dist/lib/pigeon.js';
import type { DetectionsDetail, PigeonViewer, RefusalDetail, SettingsDetail, TelemetryDetail } from '../../src/index.ts';
import { decodeBlob, encodeBlob, isAgentCodec, parseViewerMessage, type ViewerMessage } from '../../src/signal/index.ts';

/*
 * <pigeon-viewer>'s side of the data channel against a stand-in agent in the same page: a second
 * RTCPeerConnection that offers video and the 'pigeon' channel as the agent does, so messages the
 * real agent never sends (malformed, a temperature, another viewer's change) and the hand-over
 * to a new connection can be tried without one. Like the agent, it answers a viewer's offer with
 * a new connection that takes over (or refuses it when `refuse` is set), and can also send an
 * in-place ICE-restart offer of its own, which the viewer answers.
 */
interface FakeAgent {
  /** The connection that carries the viewer now. */
  pc: RTCPeerConnection;
  channel: RTCDataChannel;
  /** What the viewer sent, parsed (or the refusal text when it did not parse). */
  received: (ViewerMessage | { type: 'unknown' } | string)[];
  /** In-place restarts the viewer answered. */
  restarts: number;
  /** New connections that took over from the old one. */
  reconnects: number;
  /** Connections that carried the viewer before, each closed when the next took over. */
  retired: RTCPeerConnection[];
  /** Refuse the viewer's offers with this error code instead of answering. */
  refuse?: string;
  /** Neither answer nor refuse the viewer's offers. */
  ignoreOffers?: boolean;
  send(message: unknown): void;
}

async function complete(pc: RTCPeerConnection): Promise<string> {
  while (pc.iceGatheringState !== 'complete') await new Promise((resolve) => pc.addEventListener('icegatheringstatechange', resolve, { once: true }));
  return pc.localDescription!.sdp;
}

function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const value = check();
      if (value) resolve(value);
      else if (Date.now() > deadline) reject(new Error(`${what}: not within ${timeoutMs} ms`));
      else setTimeout(poll, 50);
    };
    poll();
  });
}

const HELLO = {
  v: 1,
  type: 'hello',
  agent: 'stand-in',
  viewer: 3,
  settings: { width: 320, height: 240, fps: 30, bitrate: 1000 },
  limits: { minBitrate: 100, maxBitrate: 2000, maxWidth: 640, maxHeight: 480, maxFps: 30 },
};

/** A stand-in agent's connection: changing colours as video, closed with its painter. */
function agentConnection(answering = false): RTCPeerConnection {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 240;
  const paint = canvas.getContext('2d')!;
  const timer = setInterval(() => {
    paint.fillStyle = `hsl(${Date.now() % 360} 60% 50%)`;
    paint.fillRect(0, 0, 320, 240);
  }, 33);
  pc.addEventListener('connectionstatechange', () => pc.connectionState === 'closed' && clearInterval(timer));
  const track = canvas.captureStream(30).getVideoTracks()[0]!;
  // An answering side must send on the transceiver the offer made; addTrack() picks it up.
  if (answering) pc.addTrack(track);
  else pc.addTransceiver(track, { direction: 'sendonly' });
  return pc;
}

/** A stand-in agent connected to `viewer`, its hello sent. */
async function connect(viewer: PigeonViewer): Promise<FakeAgent> {
  const pc = agentConnection();
  const channel = pc.createDataChannel('pigeon');
  const agent: FakeAgent = {
    pc,
    channel,
    received: [],
    restarts: 0,
    reconnects: 0,
    retired: [],
    send: (message) => agent.channel.send(typeof message === 'string' ? message : JSON.stringify(message)),
  };
  const listen = (on: RTCDataChannel): void => {
    on.onmessage = async (event: MessageEvent<string>) => {
      let message: ViewerMessage | { type: 'unknown' };
      try {
        message = parseViewerMessage(event.data);
      } catch {
        agent.received.push(event.data);
        return;
      }
      agent.received.push(message);
      if (message.type !== 'signal') return;
      if (agent.pc.signalingState === 'have-local-offer') {
        // The viewer's answer to our own in-place restart offer.
        await agent.pc.setRemoteDescription({ type: 'answer', sdp: decodeBlob(message.blob, { expect: 'answer' }).sdp });
        agent.restarts++;
        return;
      }
      if (agent.ignoreOffers) return;
      if (agent.refuse) {
        agent.send({ v: 1, type: 'error', code: agent.refuse, message: 'the stand-in refuses' });
        return;
      }
      // The viewer's offer of a new connection: answer it on this channel, hand over once it is up.
      const offer = decodeBlob(message.blob, { expect: 'offer' });
      const next = agentConnection(true);
      next.ondatachannel = ({ channel: nextChannel }) => {
        nextChannel.onopen = () => {
          agent.retired.push(agent.pc);
          agent.pc.close();
          agent.pc = next;
          agent.channel = nextChannel;
          listen(nextChannel);
          agent.reconnects++;
          agent.send(HELLO);
        };
      };
      await next.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      await next.setLocalDescription(await next.createAnswer());
      const sdp = await complete(next);
      agent.send({ v: 1, type: 'signal', blob: encodeBlob({ type: 'answer', sdp }, { offerId: offer.offerId, mdns: 'keep' }).text });
    };
  };
  listen(channel);
  await pc.setLocalDescription(await pc.createOffer());
  // The page's own addresses are mDNS names: kept here, since this 'agent' is a browser too.
  const offer = encodeBlob({ type: 'offer', sdp: await complete(pc) }, { offerId: 77, mdns: 'keep', keepCodec: isAgentCodec });
  const answered = new Promise<CustomEvent<{ text: string }>>((resolve) => viewer.addEventListener('answer', resolve as EventListener, { once: true }));
  viewer.offer = offer.text;
  const answer = decodeBlob((await answered).detail.text, { expect: 'answer' });
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  await waitFor('the data channel open', () => channel.readyState === 'open');
  agent.send(HELLO);
  await waitFor('connected with the hello', () => viewer.status === 'connected' && viewer.settings);
  return agent;
}

const agents: FakeAgent[] = [];
afterEach(() => {
  for (const agent of agents.splice(0)) agent.pc.close();
  document.body.innerHTML = '';
});

async function mounted(): Promise<{ viewer: PigeonViewer; agent: FakeAgent }> {
  document.body.innerHTML = '<pigeon-viewer></pigeon-viewer>';
  const viewer = document.querySelector('pigeon-viewer')!;
  const agent = await connect(viewer);
  agents.push(agent);
  return { viewer, agent };
}

const text = (viewer: PigeonViewer, selector: string): string => viewer.shadowRoot!.querySelector(selector)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

describe('<pigeon-viewer> data channel', () => {
  it('answers malformed, oversize and newer-version messages with an error reply and keeps going; ignores unknown types', async () => {
    const { viewer, agent } = await mounted();
    const refusals: RefusalDetail[] = [];
    viewer.addEventListener('refusal', (event) => refusals.push(event.detail));
    agent.send('{not json');
    agent.send({ v: 1, type: 'telemetry', fps: 'many' });
    agent.send({ v: 2, type: 'telemetry', fps: 30, kbps: 1, viewers: 1, cpu: 1 });
    agent.send('x'.repeat(17_000));
    agent.send({ v: 1, type: 'from-the-future', x: 1 });
    agent.send({ v: 1, type: 'telemetry', fps: 29, kbps: 900, viewers: 2, cpu: 4.5 });
    const errors = await waitFor('four error replies', () => {
      const found = agent.received.filter((m): m is Extract<ViewerMessage, { type: 'error' }> => typeof m === 'object' && m.type === 'error');
      return found.length >= 4 && found;
    });
    expect(errors.map((e) => e.code)).to.deep.equal(['E_MSG_NOT_JSON', 'E_MSG_MALFORMED', 'E_MSG_VERSION', 'E_MSG_TOO_LARGE']);
    expect(errors[1]!.message).to.match(/"fps"/);
    // Said to the embedding page as well, not only to the agent and the console.
    expect(refusals.map((r) => `${r.by} ${r.code}`)).to.deep.equal(['viewer E_MSG_NOT_JSON', 'viewer E_MSG_MALFORMED', 'viewer E_MSG_VERSION', 'viewer E_MSG_TOO_LARGE']);
    await waitFor('the good telemetry after the bad', () => viewer.telemetry?.fps === 29);
    expect(viewer.status).to.equal('connected');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(agent.received.filter((m) => typeof m === 'object' && m.type === 'error')).to.have.length(4, 'no reply to the unknown type');
  });

  it('shows telemetry with the SoC temperature in the stats overlay and fires telemetry', async () => {
    const { viewer, agent } = await mounted();
    const fired = new Promise<CustomEvent<TelemetryDetail>>((resolve) => viewer.addEventListener('telemetry', resolve, { once: true }));
    agent.send({ v: 1, type: 'telemetry', fps: 30, kbps: 1980.4, viewers: 2, cpu: 6.25, tempC: 54.3 });
    expect((await fired).detail).to.deep.equal({ fps: 30, kbps: 1980.4, viewers: 2, cpu: 6.25, tempC: 54.3 });
    await viewer.updateComplete;
    const rows = Object.fromEntries([...viewer.shadowRoot!.querySelectorAll('.stats dd[data-key]')].map((dd) => [dd.getAttribute('data-key'), dd.textContent?.trim()]));
    expect(rows).to.deep.equal({ fps: '30', kbps: '1980 kbit/s', viewers: '2', cpu: '6.3 %', tempC: '54.3 °C' });
  });

  it('says who changed the quality, and sends keyframe and set (clamped to the limits)', async () => {
    const { viewer, agent } = await mounted();
    const fired = new Promise<CustomEvent<SettingsDetail>>((resolve) => viewer.addEventListener('settings', resolve, { once: true }));
    agent.send({ v: 1, type: 'settings', settings: { width: 640, height: 480, fps: 15, bitrate: 500 }, by: 9 });
    expect((await fired).detail).to.deep.equal({ settings: { width: 640, height: 480, fps: 15, bitrate: 500 }, by: 9, mine: false });
    await viewer.updateComplete;
    expect(text(viewer, '.notice')).to.equal('Quality changed by viewer #9: 640×480 at 15 fps, 500 kbit/s');
    agent.send({ v: 1, type: 'settings', settings: { width: 320, height: 240, fps: 30, bitrate: 800 }, by: 3 });
    await waitFor('our own change said', () => text(viewer, '.notice').startsWith('Quality changed: 320×240'));

    expect(viewer.requestKeyframe()).to.equal(true);
    expect(viewer.setQuality({ bitrate: 99_999, width: 4000, fps: 15 })).to.equal(true);
    const sent = await waitFor('keyframe and set', () => agent.received.length >= 2 && agent.received);
    expect(sent).to.deep.equal([
      { v: 1, type: 'keyframe' },
      { v: 1, type: 'set', bitrate: 2000, width: 640, fps: 15 },
    ]);
  });

  it('the Quality panel offers what the limits allow and sends set; the Keyframe button sends keyframe', async () => {
    const { viewer, agent } = await mounted();
    await viewer.updateComplete;
    const button = (name: string): HTMLButtonElement => [...viewer.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.trim() === name)!;
    button('Keyframe').click();
    button('Quality').click();
    await viewer.updateComplete;
    expect(button('Quality').getAttribute('aria-expanded')).to.equal('true');
    const form = viewer.shadowRoot!.querySelector<HTMLFormElement>('form.quality')!;
    const range = form.elements.namedItem('bitrate') as HTMLInputElement;
    const size = form.elements.namedItem('size') as HTMLSelectElement;
    const fps = form.elements.namedItem('fps') as HTMLSelectElement;
    expect([range.min, range.max, range.value]).to.deep.equal(['100', '2000', '1000']);
    expect([...size.options].map((o) => o.textContent)).to.deep.equal(['320×240', '640×360', '640×480']);
    expect(size.value).to.equal('320x240');
    expect([...fps.options].map((o) => o.value)).to.deep.equal(['5', '10', '15', '24', '30']);
    range.value = '600';
    size.value = '640x480';
    fps.value = '15';
    form.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    await viewer.updateComplete;
    expect(viewer.shadowRoot!.querySelector('form.quality')).to.equal(null, 'closed after Apply');
    const sent = await waitFor('keyframe and set', () => agent.received.length >= 2 && agent.received);
    expect(sent).to.deep.equal([
      { v: 1, type: 'keyframe' },
      { v: 1, type: 'set', bitrate: 600, width: 640, height: 480, fps: 15 },
    ]);
  });

  it('draws detections without timestamps (the latest set), shows the Boxes button once they arrive, and hides them with detections-hidden', async () => {
    const { viewer, agent } = await mounted();
    await viewer.updateComplete;
    const boxes = (): HTMLButtonElement | undefined => [...viewer.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Boxes');
    expect(boxes()).to.equal(undefined);
    const feed = setInterval(() => agent.send({ v: 1, type: 'detections', boxes: [{ label: 'cat', confidence: 0.5, x: 0.1, y: 0.1, w: 0.2, h: 0.2 }] }), 50);
    try {
      await waitFor('boxes drawn', () => viewer.drawnDetections.length === 1);
      const canvas = viewer.shadowRoot!.querySelector('canvas.detections')!;
      expect(canvas.getAttribute('aria-label')).to.equal('1 detection: cat 50%');
      await viewer.updateComplete;
      expect(boxes()).to.not.equal(undefined);
      viewer.setAttribute('detections-hidden', '');
      await waitFor('boxes hidden', () => viewer.drawnDetections.length === 0);
      expect(viewer.detectionsHidden).to.equal(true);
      expect(boxes()!.getAttribute('aria-pressed')).to.equal('false');
    } finally {
      clearInterval(feed);
    }
  });

  it('captions boxes with tracking id and sub-label, fires each set as a detections event, and filters by min-confidence and detection-labels', async () => {
    const { viewer, agent } = await mounted();
    const fired: DetectionsDetail[] = [];
    document.addEventListener('detections', (event) => fired.push(event.detail));
    const set = {
      v: 1,
      type: 'detections',
      time: 1796600000000,
      boxes: [
        { label: 'person', confidence: 0.9, x: 0.1, y: 0.1, w: 0.3, h: 0.6, classId: 1, trackId: 7, sublabel: 'adult' },
        { label: 'dog', confidence: 0.4, x: 0.5, y: 0.5, w: 0.2, h: 0.2, classId: 17 },
      ],
    };
    const feed = setInterval(() => agent.send(set), 50);
    const label = (): string | null | undefined => viewer.shadowRoot!.querySelector('canvas.detections')?.getAttribute('aria-label');
    try {
      await waitFor('both drawn', () => viewer.drawnDetections.length === 2);
      expect(label()).to.equal('2 detections: person #7 90% (adult), dog 40%');
      expect(fired[0]).to.deep.equal({ boxes: set.boxes, time: set.time });
      viewer.minConfidence = 0.5;
      await waitFor('the dog filtered out', () => viewer.drawnDetections.length === 1);
      expect(label()).to.equal('1 detection: person #7 90% (adult)');
      viewer.minConfidence = 0;
      viewer.setAttribute('detection-labels', 'dog, cat');
      expect(viewer.detectionLabels).to.deep.equal(['dog', 'cat']);
      await waitFor('only the dog', () => viewer.drawnDetections.length === 1 && viewer.drawnDetections[0]!.label === 'dog');
      await viewer.updateComplete;
      const picker = viewer.shadowRoot!.querySelector<HTMLSelectElement>('select[aria-label="Boxes of label"]')!;
      expect([...picker.options].map((o) => o.value)).to.deep.equal(['', 'person', 'dog']);
      picker.value = '';
      picker.dispatchEvent(new Event('change'));
      await waitFor('all labels again', () => viewer.drawnDetections.length === 2);
      expect(viewer.detectionLabels).to.deep.equal([]);
      expect(fired.length).to.be.greaterThan(1, 'one event per set, filtered or not');
    } finally {
      clearInterval(feed);
    }
  });

  it('reconnect(): a new connection offered over the data channel takes over; new ICE credentials, no answer event, still connected', async () => {
    const { viewer, agent } = await mounted();
    const ufrag = (sdp: string | undefined): string | undefined => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
    const before = ufrag(agent.pc.remoteDescription?.sdp);
    const oldStream = viewer.shadowRoot!.querySelector('video')!.srcObject;
    let answers = 0;
    viewer.addEventListener('answer', () => answers++);
    await viewer.reconnect();
    expect(viewer.error).to.equal(undefined);
    await waitFor('the stand-in handing over', () => agent.reconnects === 1);
    expect(ufrag(agent.pc.remoteDescription?.sdp)).to.not.equal(before);
    expect(agent.retired.map((pc) => pc.connectionState)).to.deep.equal(['closed']);
    await waitFor('connected on the new connection', () => viewer.status === 'connected' && agent.pc.connectionState === 'connected');
    await viewer.updateComplete;
    const video = viewer.shadowRoot!.querySelector('video')!;
    expect(video.srcObject).to.not.equal(oldStream, 'the video plays the new connection’s stream');
    await waitFor('frames from the new connection', () => video.readyState >= 2 && (video.srcObject as MediaStream).getVideoTracks()[0]?.readyState === 'live');
    expect(answers).to.equal(0);
    // Messages go on over the new channel.
    agent.send({ v: 1, type: 'telemetry', fps: 12, kbps: 1, viewers: 1, cpu: 1 });
    await waitFor('telemetry after the reconnect', () => viewer.telemetry?.fps === 12);
  });

  it('reconnect() refused by the agent: says why at once, keeps playing on the old connection', async () => {
    const { viewer, agent } = await mounted();
    agent.refuse = 'E_CODEC_MISMATCH';
    const refusal = new Promise<RefusalDetail>((resolve) => viewer.addEventListener('refusal', (event) => resolve(event.detail), { once: true }));
    const started = performance.now();
    await viewer.reconnect();
    expect(await refusal).to.deep.equal({ by: 'agent', code: 'E_CODEC_MISMATCH', message: 'the stand-in refuses' });
    expect(performance.now() - started).to.be.below(3000, 'the refusal ends the wait');
    expect(viewer.error?.code).to.equal('E_RESTART');
    expect(viewer.error?.message).to.match(/^Reconnecting over the data channel did not work\. \(the Pi said: the stand-in refuses\)/);
    expect(viewer.status).to.equal('connected');
    agent.send({ v: 1, type: 'telemetry', fps: 14, kbps: 1, viewers: 1, cpu: 1 });
    await waitFor('telemetry on the old connection', () => viewer.telemetry?.fps === 14);
  });

  it('answers an ICE-restart offer from the agent over the data channel', async () => {
    const { viewer, agent } = await mounted();
    const ufrag = (sdp: string | undefined): string | undefined => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
    const before = ufrag(agent.pc.remoteDescription?.sdp);
    agent.pc.restartIce();
    await agent.pc.setLocalDescription(await agent.pc.createOffer());
    const sdp = await complete(agent.pc);
    agent.send({ v: 1, type: 'signal', blob: encodeBlob({ type: 'offer', sdp }, { offerId: 78, mdns: 'keep', keepCodec: isAgentCodec }).text });
    await waitFor('the viewer’s answer applied', () => agent.restarts === 1);
    expect(ufrag(agent.pc.remoteDescription?.sdp)).to.not.equal(before);
    await waitFor('connected again', () => agent.pc.connectionState === 'connected' && viewer.status === 'connected');
    agent.send({ v: 1, type: 'telemetry', fps: 13, kbps: 1, viewers: 1, cpu: 1 });
    await waitFor('telemetry after the restart', () => viewer.telemetry?.fps === 13);
  });

  it('a reconnect waiting for its answer when the channel closes ends at once, with one error', async () => {
    const { viewer, agent } = await mounted();
    agent.ignoreOffers = true;
    const codes: string[] = [];
    viewer.addEventListener('error', (event) => codes.push((event as unknown as CustomEvent<{ code: string }>).detail.code));
    const reconnecting = viewer.reconnect();
    await waitFor('the offer at the stand-in', () => agent.received.some((m) => typeof m === 'object' && m.type === 'signal'));
    const closedAt = performance.now();
    agent.channel.close();
    await reconnecting;
    expect(performance.now() - closedAt).to.be.below(3000, 'not left to the 10 s answer timeout');
    await viewer.updateComplete;
    expect(viewer.status).to.equal('failed');
    expect(text(viewer, '.status')).to.not.match(/Reconnecting/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(codes).to.deep.equal(['E_CHANNEL_CLOSED']);
  });

  it('says at once that the Pi agent has gone away when it says bye, once, and lets go of the connection', async () => {
    const { viewer, agent } = await mounted();
    const codes: string[] = [];
    viewer.addEventListener('error', (event) => codes.push((event as unknown as CustomEvent<{ code: string }>).detail.code));
    agent.send({ v: 1, type: 'bye', reason: 'it was stopped' });
    await waitFor('the goodbye shown', () => viewer.status === 'failed');
    await viewer.updateComplete;
    expect(text(viewer, '[role=alert]')).to.match(/^The Pi agent has gone away \(it was stopped\)\. Start it again/);
    agent.pc.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(codes).to.deep.equal(['E_AGENT_STOPPED'], 'said once, not again when the connection ends');
  });

  it('says plainly that the Pi closed the connection when the data channel closes', async () => {
    const { viewer, agent } = await mounted();
    const failed = new Promise<CustomEvent<{ code: string }>>((resolve) => viewer.addEventListener('error', resolve as EventListener, { once: true }));
    agent.channel.close();
    expect((await failed).detail.code).to.equal('E_CHANNEL_CLOSED');
    await viewer.updateComplete;
    expect(viewer.status).to.equal('failed');
    expect(text(viewer, '[role=alert]')).to.match(/closed the connection.*fresh code/);
  });
});
