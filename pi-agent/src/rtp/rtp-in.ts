// The agent's end of the loopback link to GStreamer: RTP from the encoder arrives on one socket,
// the encoder's RTCP on another, and keyframe requests go back to the pipeline's RTCP input so
// rtpbin turns them into a force-key-unit for the encoder. One owner for all three sockets.
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';

export interface RtpInEvents {
  /** Every RTP packet from the encoder, in order of arrival (anything that is not RTP v2 is dropped). */
  packet: [packet: Buffer];
}

export interface RtpInStats {
  /** Frames a second (RTP marker bits) over the last window. */
  fps: number;
  /** Payload bitrate in kbit/s over the last window. */
  kbps: number;
  /** Packets since the start. */
  packets: number;
  ssrc: number | undefined;
}

const HOST = '127.0.0.1';
// The SSRC the agent signs its RTCP with when it speaks for the viewers; any value not the encoder's.
const AGENT_SSRC = 0x50494745; // "PIGE"
// A burst of joining viewers (and their own PLIs right after) needs one keyframe, not one
// each; rtpbin passes every PLI on, and each keyframe costs several frames' worth of bits.
const KEYFRAME_GAP_MS = 250;

function bind(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, HOST, () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}

/** RTCP receiver report with no report blocks, then a PLI for `mediaSsrc` (RFC 3550, 4585). */
export function rrPli(mediaSsrc: number): Buffer {
  const packet = Buffer.alloc(8 + 12);
  packet.writeUInt8(0x80, 0); // V=2, P=0, RC=0
  packet.writeUInt8(201, 1); // RR
  packet.writeUInt16BE(1, 2); // length in words - 1
  packet.writeUInt32BE(AGENT_SSRC, 4);
  packet.writeUInt8(0x81, 8); // V=2, P=0, FMT=1 (PLI)
  packet.writeUInt8(206, 9); // PSFB
  packet.writeUInt16BE(2, 10);
  packet.writeUInt32BE(AGENT_SSRC, 12);
  packet.writeUInt32BE(mediaSsrc >>> 0, 16);
  return packet;
}

export class RtpIn extends EventEmitter<RtpInEvents> {
  private ssrc: number | undefined;
  private packets = 0;
  private window = { started: Date.now(), frames: 0, payloadByteLength: 0 };
  private last: RtpInStats = { fps: 0, kbps: 0, packets: 0, ssrc: undefined };
  private lastKeyframeRequest = 0;
  private pendingKeyframe: NodeJS.Timeout | undefined;

  private constructor(
    private readonly rtp: Socket,
    private readonly rtcp: Socket,
    readonly rtpPort: number,
    readonly rtcpPort: number,
    readonly rtcpInPort: number,
  ) {
    super();
    rtp.on('message', (packet) => this.receive(packet));
    // Sender reports from rtpbin are not needed yet; reading them keeps the socket drained.
    rtcp.on('message', () => undefined);
  }

  /** Binds the sockets on loopback and reserves a free port for the pipeline's RTCP input. */
  static async open(): Promise<RtpIn> {
    const rtp = createSocket('udp4');
    const rtcp = createSocket('udp4');
    const probe = createSocket('udp4');
    try {
      const [rtpPort, rtcpPort, rtcpInPort] = await Promise.all([bind(rtp), bind(rtcp), bind(probe)]);
      // A larger buffer rides out a keyframe burst while the event loop is busy with DTLS.
      rtp.setRecvBufferSize(4 * 1024 * 1024);
      return new RtpIn(rtp, rtcp, rtpPort, rtcpPort, rtcpInPort);
    } catch (error) {
      rtp.close();
      rtcp.close();
      throw error;
    } finally {
      probe.close();
    }
  }

  /**
   * Asks the encoder for a keyframe now (a viewer joined or lost one). Requests closer together
   * than 250 ms are merged into one sent at the end of the gap.
   */
  requestKeyframe(): void {
    if (this.ssrc === undefined || this.pendingKeyframe) return;
    const wait = this.lastKeyframeRequest + KEYFRAME_GAP_MS - Date.now();
    const send = (): void => {
      this.pendingKeyframe = undefined;
      this.lastKeyframeRequest = Date.now();
      if (this.ssrc !== undefined) this.rtcp.send(rrPli(this.ssrc), this.rtcpInPort, HOST);
    };
    if (wait <= 0) send();
    else this.pendingKeyframe = setTimeout(send, wait);
  }

  stats(): RtpInStats {
    const now = Date.now();
    const seconds = (now - this.window.started) / 1000;
    if (seconds >= 1) {
      this.last = {
        fps: Math.round((this.window.frames / seconds) * 10) / 10,
        kbps: Math.round((this.window.payloadByteLength * 8) / seconds / 1000),
        packets: this.packets,
        ssrc: this.ssrc,
      };
      this.window = { started: now, frames: 0, payloadByteLength: 0 };
    }
    return { ...this.last, packets: this.packets, ssrc: this.ssrc };
  }

  close(): void {
    clearTimeout(this.pendingKeyframe);
    this.rtp.close();
    this.rtcp.close();
  }

  private receive(packet: Buffer): void {
    if (packet.length < 12 || packet[0]! >> 6 !== 2) return;
    this.ssrc = packet.readUInt32BE(8);
    this.packets++;
    this.window.payloadByteLength += packet.length - 12;
    if (packet[1]! & 0x80) this.window.frames++;
    this.emit('packet', packet);
  }
}
