// ViewerPeer through its public interface against real werift peers on loopback: the agent is the
// DTLS client whether it offers or answers, the 'pigeon' data channel carries text both ways, RTP
// written to it arrives, and offers it cannot serve are refused with a PeerError saying why.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { RTCPeerConnection, type RTCDataChannel } from 'werift';
import { PeerError } from '../../pi-agent/src/core/errors.ts';
import { WeriftPeer } from '../../pi-agent/src/webrtc/peer.ts';
import type { PeerConfig, PeerState, ViewerPeer } from '../../pi-agent/src/webrtc/viewer-peer.ts';
import { codecParameters, type VideoCodec } from '../../pi-agent/src/webrtc/werift-codecs.ts';
import { eventually } from '../harness/index.ts';

const CONFIG: PeerConfig = { codecs: ['H264', 'VP8'], iceServers: [], ipv6: false };

/** The far side: a werift peer that receives video, as a Node viewer would. */
interface Far {
  pc: RTCPeerConnection;
  channel(): RTCDataChannel | undefined;
  inbox: string[];
  rtpPackets(): number;
}

function far(t: TestContext, codecs: VideoCodec[] = ['H264']): Far {
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', codecs: { video: codecs.map(codecParameters), audio: [] } });
  t.after(() => pc.close());
  const inbox: string[] = [];
  let rtp = 0;
  const channels: RTCDataChannel[] = [];
  const adopt = (dc: RTCDataChannel): void => {
    channels.push(dc);
    dc.onMessage.subscribe((data) => inbox.push(typeof data === 'string' ? data : data.toString('utf8')));
  };
  pc.onDataChannel.subscribe(adopt);
  pc.onTransceiverAdded.subscribe((transceiver) => transceiver.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => rtp++)));
  return { pc, channel: () => channels.find((dc) => dc.readyState === 'open'), inbox, rtpPackets: () => rtp };
}

function rtpPacket(seq: number): Buffer {
  const packet = Buffer.alloc(12 + 50, 0);
  packet.writeUInt8(0x80, 0);
  packet.writeUInt8(0x80 | 96, 1);
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(seq * 3000, 4);
  packet.writeUInt32BE(0x1234, 8);
  // One single-NAL H.264 unit (type 1, a non-IDR slice): enough for werift to pass it on.
  packet.writeUInt8(0x41, 12);
  return packet;
}

/** States the agent's peer went through, as events said. */
function states(peer: ViewerPeer): PeerState[] {
  const seen: PeerState[] = [];
  peer.on('state', (state) => seen.push(state));
  return seen;
}

test('offering: the offer says a=setup:active, the viewer answers as DTLS server, video and the data channel work', async (t) => {
  const { peer, sdp } = await WeriftPeer.offer(CONFIG);
  t.after(() => peer.close());
  assert.match(sdp, /^a=setup:active\r?$/m, 'the agent is the DTLS client');
  assert.match(sdp, /H264\/90000/);
  assert.match(sdp, /VP8\/90000/);
  const seen = states(peer);
  const opened: string[] = [];
  peer.on('channelOpen', () => opened.push('open'));
  const messages: string[] = [];
  peer.on('message', (text) => messages.push(text));

  const viewer = far(t);
  await viewer.pc.setRemoteDescription({ type: 'offer', sdp });
  for (const transceiver of viewer.pc.getTransceivers()) transceiver.setDirection('recvonly');
  // What a browser does with a=setup:active: it answers passive and waits for the agent's hello.
  for (const transport of viewer.pc.dtlsTransports) transport.role = 'server';
  await viewer.pc.setLocalDescription(await viewer.pc.createAnswer());
  await peer.acceptAnswer(viewer.pc.localDescription!.sdp);
  assert.equal(peer.codec, 'H264', 'the codec the viewer kept');

  await eventually(() => peer.state, (state) => state === 'connected', 20_000);
  assert.ok(seen.includes('connected'), `state events: ${seen.join(', ')}`);
  await eventually(() => viewer.channel(), (dc) => dc !== undefined, 20_000);
  // The viewer may see the channel before the agent's side has heard it is open (its ack in flight).
  await eventually(() => opened.length, (n) => n >= 1, 10_000);
  assert.deepEqual(opened, ['open']);
  assert.equal(peer.channelIsOpen, true);
  assert.equal(peer.send('hello viewer'), true);
  await eventually(() => viewer.inbox.length, (n) => n >= 1, 10_000);
  assert.deepEqual(viewer.inbox, ['hello viewer']);
  viewer.channel()!.send('hello agent');
  await eventually(() => messages.length, (n) => n >= 1, 10_000);
  assert.deepEqual(messages, ['hello agent']);

  let seq = 1;
  const arrived = await eventually(
    () => {
      peer.writeRtp(rtpPacket(seq++));
      return viewer.rtpPackets();
    },
    (n) => n > 0,
    10_000,
    20,
  );
  assert.ok(arrived > 0, 'RTP written to the peer reached the viewer');
});

test('answering a browser-like offer: the answer is a=setup:active and the data channel works', async (t) => {
  const browser = far(t, ['VP8']);
  browser.pc.addTransceiver('video', { direction: 'recvonly' });
  const ours = browser.pc.createDataChannel('pigeon');
  const inbox: string[] = [];
  ours.onMessage.subscribe((data) => inbox.push(typeof data === 'string' ? data : data.toString('utf8')));
  await browser.pc.setLocalDescription(await browser.pc.createOffer());

  const { peer, sdp } = await WeriftPeer.answer(CONFIG, browser.pc.localDescription!.sdp);
  t.after(() => peer.close());
  assert.match(sdp, /^a=setup:active\r?$/m);
  assert.equal(peer.codec, 'VP8', 'the only codec the browser offered');
  const messages: string[] = [];
  peer.on('message', (text) => messages.push(text));
  await browser.pc.setRemoteDescription({ type: 'answer', sdp });

  await eventually(() => peer.state, (state) => state === 'connected', 20_000);
  await eventually(() => peer.channelIsOpen, (open) => open, 20_000);
  await eventually(() => ours.readyState, (state) => state === 'open', 10_000);
  ours.send('from the browser');
  await eventually(() => messages.length, (n) => n >= 1, 10_000);
  assert.deepEqual(messages, ['from the browser']);
  peer.send('from the agent');
  await eventually(() => inbox.length, (n) => n >= 1, 10_000);
  assert.deepEqual(inbox, ['from the agent']);
});

test('a viewer that closes its data channel is reported gone at once, not when ICE gives up', async (t) => {
  const browser = far(t);
  browser.pc.addTransceiver('video', { direction: 'recvonly' });
  const channel = browser.pc.createDataChannel('pigeon');
  await browser.pc.setLocalDescription(await browser.pc.createOffer());
  const { peer, sdp } = await WeriftPeer.answer(CONFIG, browser.pc.localDescription!.sdp);
  t.after(() => peer.close());
  const gone: string[] = [];
  peer.on('gone', () => gone.push('gone'));
  await browser.pc.setRemoteDescription({ type: 'answer', sdp });
  await eventually(() => channel.readyState, (state) => state === 'open', 20_000);
  channel.close();
  await eventually(() => gone.length, (n) => n >= 1, 10_000);
  assert.deepEqual(gone, ['gone']);
});

test('offers it cannot serve are refused before a peer exists: no video, or no codec its encoders make', async (t) => {
  const dataOnly = far(t);
  dataOnly.pc.createDataChannel('pigeon');
  await dataOnly.pc.setLocalDescription(await dataOnly.pc.createOffer());
  await assert.rejects(WeriftPeer.answer(CONFIG, dataOnly.pc.localDescription!.sdp), (error: unknown) => {
    assert.ok(error instanceof PeerError, String(error));
    assert.equal(error.code, 'E_NO_VIDEO');
    return true;
  });

  const vp8Only = far(t, ['VP8']);
  vp8Only.pc.addTransceiver('video', { direction: 'recvonly' });
  await vp8Only.pc.setLocalDescription(await vp8Only.pc.createOffer());
  await assert.rejects(WeriftPeer.answer({ ...CONFIG, codecs: ['H264'] }, vp8Only.pc.localDescription!.sdp), (error: unknown) => {
    assert.ok(error instanceof PeerError, String(error));
    assert.equal(error.code, 'E_CODEC_MISMATCH');
    assert.match(error.message, /H\.264/);
    return true;
  });
});

test('checkPath: a check on the pair in use is answered by a connected viewer (werift’s request builder is still there); nothing to check before ICE is up', async (t) => {
  const { peer, sdp } = await WeriftPeer.offer(CONFIG);
  t.after(() => peer.close());
  assert.equal(await peer.checkPath(), undefined, 'no pair in use yet');
  const viewer = far(t);
  await viewer.pc.setRemoteDescription({ type: 'offer', sdp });
  for (const transceiver of viewer.pc.getTransceivers()) transceiver.setDirection('recvonly');
  for (const transport of viewer.pc.dtlsTransports) transport.role = 'server';
  await viewer.pc.setLocalDescription(await viewer.pc.createAnswer());
  await peer.acceptAnswer(viewer.pc.localDescription!.sdp);
  await eventually(() => peer.state, (state) => state === 'connected', 20_000);
  const ms = await peer.checkPath();
  assert.ok(ms !== undefined && ms < 2000, `answered (${ms} ms)`);
  assert.equal(peer.state, 'connected', 'the nominating check leaves the connection as it was');
});
