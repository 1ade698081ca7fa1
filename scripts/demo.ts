/**
 * What the quick start shows until the agent streams: a live werift offer (what the Pi agent
 * will print) as the terminal QR and text blob, read back through the same codec.
 */
import { qrMatrix } from '../src/qr/matrix.ts';
import { renderTerminal } from '../src/qr/terminal.ts';
import { decodeBlob, encodeBlob } from '../src/signal/index.ts';
import { createWeriftPeer } from '../test/support/werift.ts';

const agent = await createWeriftPeer({ codec: 'H264' });
try {
  const sdp = await agent.createOffer();
  const blob = encodeBlob({ type: 'offer', sdp }, { offerId: 1 });
  const matrix = qrMatrix(blob.bytes);
  process.stdout.write(`\n${renderTerminal(matrix, { color: process.stdout.isTTY === true })}`);
  process.stdout.write(`${blob.text}\n\n`);
  const back = decodeBlob(blob.text, { expect: 'offer' });
  console.log(
    `A live werift offer: ${sdp.length} bytes of SDP -> ${blob.bytes.length} bytes of blob (${blob.text.length} characters, QR version ${matrix.version}).`,
  );
  console.log(`Decoded back: ${back.type} #${back.offerId}, ${back.sdp.length} bytes of SDP that a browser accepts.`);
  console.log('Try it: echo <the text above> | npx pi-agent blob decode');
} finally {
  await agent.close();
}
