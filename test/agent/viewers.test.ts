// Viewers through its public interface, with real werift viewers on loopback and real UDP RTP into
// a real RtpIn: offers carry their EncodedBlob, an answer makes a viewer that is fed the encoder's
// packets, spent and expired offers are refused saying which, an expired offer's peer frees its
// port, and `pi-agent answer`'s side refuses viewers over the limit.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test, type TestContext } from 'node:test';
import { RTCPeerConnection } from 'werift';
import { decodeBlob, encodeBlob, isPigeonError, type EncodedBlob } from '../../src/signal/index.ts';
import type { SessionEvent } from '../../pi-agent/src/core/events.ts';
import { codecParameters, type VideoCodec } from '../../pi-agent/src/webrtc/werift-codecs.ts';
import { RtpIn } from '../../pi-agent/src/rtp/rtp-in.ts';
import { Viewers, type ViewersOptions } from '../../pi-agent/src/viewers/viewers.ts';
import { chooseEngine } from '../../pi-agent/src/webrtc/engine-choice.ts';
import { Offers } from '../../pi-agent/src/viewers/offers.ts';
import { FanOut } from '../../pi-agent/src/rtp/fan-out.ts';
import { eventually } from '../harness/index.ts';

const OPTIONS: ViewersOptions = {
  peer: { codecs: ['H264'], iceServers: [], ipv6: false },
  // The engine the agent would run on here (PIGEON_ENGINE, as the agent reads it).
  engine: await chooseEngine(process.env),
  maxViewers: 4,
  offerTtlMs: 600_000,
  keyframeOnJoin: true,
  addresses: [],
};

interface Rig {
  viewers: Viewers;
  rtp: RtpIn;
  reports: SessionEvent[];
  /** Sends one H.264-looking RTP packet to the RtpIn, as gst-launch would. */
  sendRtp(): void;
}

async function rig(t: TestContext, options: Partial<ViewersOptions> = {}): Promise<Rig> {
  const rtp = await RtpIn.open();
  // Wired as the session wires them (pi-agent/src/session/stream.ts).
  const settings = { ...OPTIONS, ...options };
  const offers = new Offers(settings);
  const fanOut = new FanOut(new Map<VideoCodec, RtpIn>([['H264', rtp]]));
  const viewers = new Viewers(settings, offers, fanOut);
  const reports: SessionEvent[] = [];
  offers.on('report', (event) => reports.push(event));
  offers.on('expired', () => void viewers.offerNext());
  fanOut.on('failed', (peer, error) => viewers.sendingFailed(peer, error));
  viewers.on('report', (event) => reports.push(event));
  const socket = createSocket('udp4');
  let seq = 0;
  t.after(async () => {
    await viewers.stop();
    fanOut.close();
    await offers.stop();
    rtp.close();
    socket.close();
  });
  const sendRtp = (): void => {
    const packet = Buffer.alloc(12 + 50, 0);
    packet.writeUInt8(0x80, 0);
    packet.writeUInt8(0x80 | 96, 1); // marker: one packet a frame
    packet.writeUInt16BE(++seq & 0xffff, 2);
    packet.writeUInt32BE(seq * 3000, 4);
    packet.writeUInt32BE(0x5eed, 8);
    packet.writeUInt8(0x41, 12); // a non-IDR slice
    socket.send(packet, rtp.rtpPort, '127.0.0.1');
  };
  return { viewers, rtp, reports, sendRtp };
}

function offers(reports: SessionEvent[]): Extract<SessionEvent, { type: 'offer' }>[] {
  return reports.flatMap((event) => (event.type === 'offer' ? [event] : []));
}

async function nextOffer(reports: SessionEvent[], count: number): Promise<Extract<SessionEvent, { type: 'offer' }>> {
  const shown = await eventually(() => offers(reports), (list) => list.length >= count, 20_000);
  const offer = shown[count - 1];
  assert.ok(offer, `offer number ${count} was shown`);
  return offer;
}

/** A werift viewer answering an offer blob as a browser would (DTLS server), counting the RTP it gets. */
async function answerAs(t: TestContext, blob: EncodedBlob): Promise<{ answer: string; rtpPackets(): number; pc: RTCPeerConnection }> {
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', codecs: { video: [codecParameters('H264')], audio: [] } });
  t.after(() => pc.close());
  let rtp = 0;
  const offer = decodeBlob(blob.text, { expect: 'offer' });
  await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
  for (const transceiver of pc.getTransceivers()) transceiver.setDirection('recvonly');
  for (const transport of pc.dtlsTransports) {
    transport.role = 'server';
    // Counted as SRTP is decrypted: werift routes a blob-rebuilt SDP's RTP to no track (no a=ssrc).
    transport.onRtp.subscribe(() => rtp++);
  }
  await pc.setLocalDescription(await pc.createAnswer());
  const answer = encodeBlob({ type: 'answer', sdp: pc.localDescription!.sdp }, { offerId: offer.offerId }).text;
  return { answer, rtpPackets: () => rtp, pc };
}

async function refusedWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPigeonError(error), String(error));
    assert.equal(error.code, code);
    return true;
  });
}

test('an answer to the offer shown makes a viewer: it joins, its channel opens, the encoder RTP reaches it, a new offer shows', async (t) => {
  const { viewers, reports, sendRtp } = await rig(t);
  const opened: number[] = [];
  viewers.on('channel-open', (id) => opened.push(id));
  const codecs: string[] = [];
  viewers.on('codecs', (inUse) => codecs.push([...inUse].join(',')));
  await viewers.offerNext();
  const offer = await nextOffer(reports, 1);
  assert.match(offer.blob.text, /^pigeon:/);
  assert.equal(offer.blob.offerId, offer.offerId, 'the event carries the blob that was made');
  assert.equal(viewers.waiting(), true);

  const viewer = await answerAs(t, offer.blob);
  const id = await viewers.acceptAnswer(viewer.answer);
  assert.equal(id, offer.offerId);
  assert.deepEqual(codecs, ['H264'], 'the camera is told which codec is in use before the viewer is up');
  await eventually(() => reports.some((e) => e.type === 'viewer-joined' && e.viewer === id), (joined) => joined, 20_000);
  await eventually(() => opened, (list) => list.includes(id), 20_000);
  const received = await eventually(
    () => {
      sendRtp();
      return viewer.rtpPackets();
    },
    (n) => n >= 5,
    10_000,
    20,
  );
  assert.ok(received >= 5, `the viewer got ${received} packets`);
  const second = await nextOffer(reports, 2);
  assert.notEqual(second.offerId, offer.offerId, 'a fresh offer for the next viewer');

  viewers.leave(id, 'it said bye (test)');
  const left = reports.find((e) => e.type === 'viewer-left');
  assert.deepEqual(left, { type: 'viewer-left', viewer: id, reason: 'it said bye (test)', viewers: 0 });
  assert.deepEqual(viewers.joined(), []);
});

test('answers to a spent offer, to an offer this agent did not make, or without an offer id are refused saying which', async (t) => {
  const { viewers, reports } = await rig(t);
  await viewers.offerNext();
  const offer = await nextOffer(reports, 1);
  const viewer = await answerAs(t, offer.blob);
  await viewers.acceptAnswer(viewer.answer);
  await refusedWith(viewers.acceptAnswer(viewer.answer), 'E_OFFER_USED');
  const sdp = viewer.pc.localDescription!.sdp;
  await refusedWith(viewers.acceptAnswer(encodeBlob({ type: 'answer', sdp }, { offerId: (offer.offerId + 1) & 0xffff }).text), 'E_OFFER_UNKNOWN');
  await refusedWith(viewers.acceptAnswer(encodeBlob({ type: 'answer', sdp }).text), 'E_NO_OFFER_ID');
  await refusedWith(viewers.acceptAnswer('pigeon:not-a-blob'), 'E_NOT_PIGEON');
});

/** The offer's first host candidate, as the address and UDP port its peer listens on. */
function candidateOf(blob: EncodedBlob): { address: string; port: number } {
  const match = /^a=candidate:\S+ 1 udp \d+ (\d+\.\d+\.\d+\.\d+) (\d+) typ host/im.exec(decodeBlob(blob.text).sdp);
  assert.ok(match, 'the offer has an IPv4 host candidate');
  return { address: match[1]!, port: Number(match[2]) };
}

function canBind(address: string, port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, address, () => socket.close(() => resolve(true)));
  });
}

test('an unanswered offer expires: said once, its peer closed and its port free, a fresh offer shown, a late answer refused as expired', async (t) => {
  const { viewers, reports } = await rig(t, { offerTtlMs: 1500 });
  await viewers.offerNext();
  const offer = await nextOffer(reports, 1);
  const { address, port } = candidateOf(offer.blob);
  assert.equal(await canBind(address, port), false, 'the offer peer holds its port while it is showing');
  const late = await answerAs(t, offer.blob);
  await eventually(() => reports.filter((e) => e.type === 'offer-expired'), (list) => list.length >= 1, 20_000);
  assert.deepEqual(
    reports.filter((e) => e.type === 'offer-expired'),
    [{ type: 'offer-expired', offerId: offer.offerId }],
  );
  assert.equal(await eventually(() => canBind(address, port), (free) => free, 10_000), true, 'its port is free again');
  const fresh = await nextOffer(reports, 2);
  assert.notEqual(fresh.offerId, offer.offerId);
  await refusedWith(viewers.acceptAnswer(late.answer), 'E_OFFER_EXPIRED');
});

test('answering browsers (pi-agent answer): each gets an answer blob, reported as such, until the viewer limit', async (t) => {
  const { viewers, reports } = await rig(t, { maxViewers: 1 });
  const browserOffer = async (): Promise<string> => {
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', codecs: { video: [codecParameters('H264')], audio: [] } });
    t.after(() => pc.close());
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.createDataChannel('pigeon');
    await pc.setLocalDescription(await pc.createOffer());
    return encodeBlob({ type: 'offer', sdp: pc.localDescription!.sdp }, { offerId: 4242 }).text;
  };
  const [first, second] = [await browserOffer(), await browserOffer()];
  const answer = await viewers.answerOffer(first);
  assert.equal(answer.type, 'answer');
  assert.equal(answer.offerId, 4242, 'the answer names the browser offer it answers');
  const reported = reports.find((e) => e.type === 'answer');
  assert.ok(reported && reported.type === 'answer');
  assert.equal(reported.blob, answer, 'the event carries the same blob, not a copy to decode');
  assert.equal(reported.viewer, 4242);
  await refusedWith(viewers.answerOffer(second), 'E_FULL');
});
