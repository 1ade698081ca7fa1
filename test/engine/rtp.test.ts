// RtpRewriter: the encoder's packets as one viewer's stream, written into the rewriter's own
// buffer, which is reused for the next packet (the library copies each packet as it is sent).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpRewriter } from '@pigeon/engine';

/** An encoder packet: 12-byte RTP header then `payload` bytes of 0xab. */
function encoderPacket(sequence: number, timestamp: number, payload = 20, marker = false): Buffer {
  const packet = Buffer.alloc(12 + payload, 0xab);
  packet[0] = 0x80; // V=2, P=0, X=0, CC=0
  packet[1] = (marker ? 0x80 : 0) | 96; // M, PT=96 (the encoder's)
  packet.writeUInt16BE(sequence, 2); // sequence number
  packet.writeUInt32BE(timestamp, 4); // timestamp, 90 kHz
  packet.writeUInt32BE(0x11223344, 8); // SSRC (the encoder's)
  return packet;
}

describe('RtpRewriter', () => {
  it("writes the viewer's SSRC and payload type, keeps the marker and payload, and leaves the encoder's packet as it was", () => {
    const rewriter = new RtpRewriter(0xcafe0001, 102);
    const packet = encoderPacket(7, 9000, 30, true);
    const original = Buffer.from(packet);
    const out = rewriter.rewrite(packet)!;
    assert.equal(out.length, packet.length);
    assert.equal(out[0], 0x80);
    assert.equal(out[1], 0x80 | 102);
    assert.equal(out.readUInt32BE(8), 0xcafe0001);
    assert.deepEqual(out.subarray(12), packet.subarray(12));
    assert.deepEqual(packet, original);
  });

  it('runs the sequence and timestamp on by the encoder\'s steps, across the encoder\'s wrap at 65535', () => {
    const rewriter = new RtpRewriter(1, 96);
    const seen: { sequence: number; timestamp: number }[] = [];
    for (let i = 0; i < 4; i += 1) {
      const out = rewriter.rewrite(encoderPacket((65534 + i) & 0xffff, 3000 * i))!;
      seen.push({ sequence: out.readUInt16BE(2), timestamp: out.readUInt32BE(4) });
    }
    for (let i = 1; i < seen.length; i += 1) {
      assert.equal(seen[i]!.sequence, (seen[0]!.sequence + i) & 0xffff);
      assert.equal(seen[i]!.timestamp, (seen[0]!.timestamp + 3000 * i) >>> 0);
    }
    assert.equal(rewriter.timestamp, seen.at(-1)!.timestamp);
  });

  it('reuses one buffer: the next packet, of any length, overwrites the last one in place', () => {
    const rewriter = new RtpRewriter(1, 96);
    const first = rewriter.rewrite(encoderPacket(1, 0, 1188))!;
    const firstSequence = first.readUInt16BE(2);
    const second = rewriter.rewrite(encoderPacket(2, 0, 100))!;
    assert.equal(second.length, 112);
    assert.equal(second.buffer, first.buffer, 'one backing store');
    assert.equal(second.byteOffset, first.byteOffset);
    assert.equal(first.readUInt16BE(2), (firstSequence + 1) & 0xffff, 'the first view now shows the second packet');
    const third = rewriter.rewrite(encoderPacket(3, 0, 1188))!;
    assert.equal(third, first, 'a length seen before gets the same view back');
  });

  it('takes a packet longer than its buffer (a jumbo loopback datagram) whole', () => {
    const rewriter = new RtpRewriter(5, 96);
    const big = encoderPacket(1, 0, 4000);
    const out = rewriter.rewrite(big)!;
    assert.equal(out.length, big.length);
    assert.deepEqual(out.subarray(12), big.subarray(12));
    assert.equal(rewriter.rewrite(encoderPacket(2, 0, 10))!.length, 22);
  });

  it('refuses what is not RTP: shorter than a header, or not version 2', () => {
    const rewriter = new RtpRewriter(1, 96);
    assert.equal(rewriter.rewrite(Buffer.alloc(11)), undefined);
    const v1 = encoderPacket(1, 0);
    v1[0] = 0x40;
    assert.equal(rewriter.rewrite(v1), undefined);
  });

  it('continues seamlessly after an encoder restart, the gap in its 90 kHz clock', () => {
    const rewriter = new RtpRewriter(1, 96);
    const last = rewriter.rewrite(encoderPacket(500, 90_000))!;
    const [sequence, timestamp] = [last.readUInt16BE(2), last.readUInt32BE(4)];
    const restarted = encoderPacket(12, 7);
    rewriter.continueFrom(restarted, 100);
    const next = rewriter.rewrite(restarted)!;
    assert.equal(next.readUInt16BE(2), (sequence + 1) & 0xffff);
    assert.equal(next.readUInt32BE(4), (timestamp + 9000) >>> 0);
  });
});
