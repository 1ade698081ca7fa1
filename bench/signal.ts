/**
 * npm run bench:signal — how small the blob is, on SDPs made live right now by werift (as the
 * Pi agent) and Chromium and Firefox ESR (as viewers), beside the usual ways of carrying an SDP by hand.
 * Prints figures and ratios; it asserts nothing (sizes are checked here, not timed in tests).
 */
import { deflate } from 'pako';
import { qrMatrix } from '../src/qr/matrix.ts';
import { decodeBlob, encodeBlob, isAgentCodec, type EncodeOptions } from '../src/signal/index.ts';
import { createWeriftPeer, launchChromium, launchFirefox, webrtcbinAvailable, WebrtcbinPeer } from '../test/harness/index.ts';

interface Row {
  name: string;
  type: 'offer' | 'answer';
  sdp: string;
  options: EncodeOptions;
  target?: number;
}

function qrVersion(data: Uint8Array | string): string {
  try {
    return String(qrMatrix(data).version);
  } catch {
    return '>40';
  }
}

const pad = (value: string | number, width: number): string => String(value).padStart(width);

/** Firefox (VP8 only here) in both bundle policies: its answer to a werift VP8 offer, and its own offer. */
async function collectFirefox(): Promise<Row[]> {
  const firefox = await launchFirefox();
  try {
    const rows: Row[] = [];
    for (const bundlePolicy of ['max-bundle', 'balanced'] as const) {
      const agent = await createWeriftPeer({ codec: 'VP8' });
      const viewer = await firefox.newPeer({ bundlePolicy });
      const offerId = 0x2a2b;
      const sentOffer = decodeBlob(encodeBlob({ type: 'offer', sdp: await agent.createOffer() }, { offerId }).bytes).sdp;
      const answer = await viewer.acceptOffer(sentOffer);
      const browser = await firefox.newPeer({ bundlePolicy });
      const offer = await browser.createOffer();
      await Promise.allSettled([agent.close(), viewer.close(), browser.close()]);
      rows.push(
        { name: `Firefox's answer to werift VP8 (${bundlePolicy})`, type: 'answer', sdp: answer, options: { offerId }, target: 72 },
        { name: `Firefox's offer, agent codecs (${bundlePolicy})`, type: 'offer', sdp: offer, options: { keepCodec: isAgentCodec }, target: 110 },
      );
    }
    return rows;
  } finally {
    await firefox.close();
  }
}

/**
 * GStreamer webrtcbin's offer, as someone with their own GStreamer app would encode it with
 * `pi-agent blob encode`: it lists UDP, TCP active and TCP passive for every address of the
 * machine (link-local IPv6 too). None when python3-gi's webrtcbin is missing.
 */
async function collectWebrtcbin(): Promise<Row[]> {
  if (!webrtcbinAvailable()) return [];
  const sender = await WebrtcbinPeer.start('send');
  try {
    const sdp = await sender.offer();
    const candidates = sdp.match(/^a=candidate:/gm)?.length ?? 0;
    return [
      { name: `webrtcbin offer, all ${candidates} candidates kept`, type: 'offer', sdp, options: { tcp: 'keep', ipv6: 'keep' } },
      { name: 'webrtcbin offer, UDP + IPv6 (codec default)', type: 'offer', sdp, options: {} },
      { name: 'webrtcbin offer, UDP IPv4 (blob encode)', type: 'offer', sdp, options: { ipv6: 'drop' }, target: 100 },
    ];
  } finally {
    await sender.close();
  }
}

async function collect(): Promise<Row[]> {
  const chromium = await launchChromium();
  try {
    const agent = await createWeriftPeer({ codec: 'H264' });
    const viewer = await chromium.newPeer();
    const agentOffer = await agent.createOffer();
    const offerId = 0x2a2a;
    const sentOffer = decodeBlob(encodeBlob({ type: 'offer', sdp: agentOffer }, { offerId }).bytes).sdp;
    const chromiumAnswer = await viewer.acceptOffer(sentOffer);

    const browser = await chromium.newPeer();
    const responder = await createWeriftPeer({ codec: 'H264' });
    const browserOffer = await browser.createOffer();
    const reduced = decodeBlob(encodeBlob({ type: 'offer', sdp: browserOffer }, { keepCodec: isAgentCodec }).bytes).sdp;
    const weriftAnswer = await responder.acceptOffer(reduced);

    await Promise.allSettled([agent.close(), viewer.close(), browser.close(), responder.close()]);
    return [
      { name: 'werift offer (H.264 + data, 1 IPv4 host)', type: 'offer', sdp: agentOffer, options: { offerId }, target: 72 },
      { name: "Chromium's answer to it", type: 'answer', sdp: chromiumAnswer, options: { offerId }, target: 72 },
      { name: "Chromium's offer, reduced to agent codecs", type: 'offer', sdp: browserOffer, options: { keepCodec: isAgentCodec }, target: 110 },
      { name: "Chromium's offer, every codec", type: 'offer', sdp: browserOffer, options: {} },
      { name: "werift's answer to the reduced offer", type: 'answer', sdp: weriftAnswer, options: {} },
    ];
  } finally {
    await chromium.close();
  }
}

const rows = [...(await collect()), ...(await collectFirefox()), ...(await collectWebrtcbin())];
const header = [
  pad('SDP', 44),
  pad('raw B', 6),
  pad('QR', 4),
  pad('pion b64', 9),
  pad('QR', 4),
  pad('deflate B', 10),
  pad('QR', 4),
  pad('Pigeon B', 9),
  pad('text', 5),
  pad('QR', 3),
  pad('+mDNS B', 8),
  pad('raw/P', 6),
  pad('defl/P', 7),
  pad('pion/P', 7),
  '  target',
];
console.log(header.join(' '));
for (const row of rows) {
  const raw = new TextEncoder().encode(row.sdp);
  const pion = Buffer.from(JSON.stringify({ type: row.type, sdp: row.sdp })).toString('base64');
  const deflated = deflate(raw);
  const blob = encodeBlob({ type: row.type, sdp: row.sdp }, row.options);
  const withMdns = encodeBlob({ type: row.type, sdp: row.sdp }, { ...row.options, mdns: 'keep' });
  const met = row.target === undefined ? '' : `  ≤${row.target} B ${blob.bytes.length <= row.target ? 'met' : 'MISSED'}`;
  console.log(
    [
      pad(row.name, 44),
      pad(raw.length, 6),
      pad(qrVersion(row.sdp), 4),
      pad(pion.length, 9),
      pad(qrVersion(pion), 4),
      pad(deflated.length, 10),
      pad(qrVersion(deflated), 4),
      pad(`${blob.bytes.length}${blob.mode === 'compact' ? '' : '*'}`, 9),
      pad(blob.text.length, 5),
      pad(qrVersion(blob.bytes), 3),
      pad(withMdns.bytes.length, 8),
      pad((raw.length / blob.bytes.length).toFixed(1), 6),
      pad((deflated.length / blob.bytes.length).toFixed(1), 7),
      pad((pion.length / blob.text.length).toFixed(1), 7),
    ].join(' ') + met,
  );
}
console.log(`
QR versions are at ECC M in byte mode. "raw/P", "defl/P": raw SDP bytes and plain deflate bytes per
Pigeon blob byte; "pion/P": pion-style base64 JSON characters per Pigeon text character.
"+mDNS B": the blob if Chromium's <uuid>.local candidates were kept (16 bytes of name each);
by default they are dropped, since the side that offers real addresses learns the browser's
from its connectivity checks. * = fallback mode. Reference from the issue: plain deflate of
werift's offer 543 B (QR v18); pion-style base64 1296 chars (QR v30).`);
