/** Test helpers: loopback UDP sockets, just enough RTP/RTCP parsing, and keyframe detection. */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

export interface RtpPacket {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Buffer;
  /** Date.now() when it arrived. */
  at: number;
}

export function parseRtp(bytes: Buffer, at = Date.now()): RtpPacket {
  const csrcCount = bytes[0]! & 0x0f;
  const hasExtension = (bytes[0]! & 0x10) !== 0;
  let offset = 12 + 4 * csrcCount;
  if (hasExtension) offset += 4 + 4 * bytes.readUInt16BE(offset + 2);
  let end = bytes.length;
  if ((bytes[0]! & 0x20) !== 0) end -= bytes[bytes.length - 1]!;
  return {
    payloadType: bytes[1]! & 0x7f,
    marker: (bytes[1]! & 0x80) !== 0,
    sequence: bytes.readUInt16BE(2),
    timestamp: bytes.readUInt32BE(4),
    ssrc: bytes.readUInt32BE(8),
    payload: bytes.subarray(offset, end),
    at,
  };
}

/** True when an H.264 RTP payload (RFC 6184) starts or carries an IDR slice or an SPS. */
export function isH264Keyframe(payload: Buffer): boolean {
  const isKey = (nalType: number): boolean => nalType === 5 || nalType === 7;
  const nalType = payload[0]! & 0x1f;
  if (nalType === 24) {
    // STAP-A: 16-bit size, then the NAL unit, repeated.
    for (let o = 1; o + 2 < payload.length; o += 2 + payload.readUInt16BE(o)) {
      if (isKey(payload[o + 2]! & 0x1f)) return true;
    }
    return false;
  }
  if (nalType === 28) {
    // FU-A: the FU header's S bit marks the first fragment; its low 5 bits are the NAL type.
    const header = payload[1]!;
    return (header & 0x80) !== 0 && isKey(header & 0x1f);
  }
  return isKey(nalType);
}

/** True when a VP8 RTP payload (RFC 7741) starts a key frame. */
export function isVp8Keyframe(payload: Buffer): boolean {
  const first = payload[0]!;
  const start = (first & 0x10) !== 0; // S: start of a partition
  const partition = first & 0x07; // PID
  let o = 1;
  if ((first & 0x80) !== 0) {
    // X: an extension byte with I, L, T, K flags
    const ext = payload[o++]!;
    if ((ext & 0x80) !== 0) o += (payload[o]! & 0x80) !== 0 ? 2 : 1; // I: 7- or 15-bit picture id
    if ((ext & 0x40) !== 0) o += 1; // L: TL0PICIDX
    if ((ext & 0x30) !== 0) o += 1; // T or K: TID/KEYIDX
  }
  // The VP8 payload header's P bit is 0 for a key frame.
  return start && partition === 0 && (payload[o]! & 0x01) === 0;
}

/**
 * RTCP receiver report with no report blocks (RFC 3550 6.4.2), what a receiver sends first in
 * every compound packet.
 */
export function rtcpReceiverReport(senderSsrc: number): Buffer {
  const rr = Buffer.alloc(8);
  rr[0] = 0x80; // V=2, P=0, RC=0
  rr[1] = 201; // PT=RR
  rr.writeUInt16BE(1, 2); // length in 32-bit words minus one
  rr.writeUInt32BE(senderSsrc, 4); // SSRC of the packet sender
  return rr;
}

/** RTCP Picture Loss Indication (RFC 4585 6.3.1): a payload-specific feedback message with no FCI. */
export function rtcpPli(senderSsrc: number, mediaSsrc: number): Buffer {
  const pli = Buffer.alloc(12);
  pli[0] = 0x81; // V=2, P=0, FMT=1 (PLI)
  pli[1] = 206; // PT=PSFB
  pli.writeUInt16BE(2, 2); // length in 32-bit words minus one
  pli.writeUInt32BE(senderSsrc, 4); // SSRC of the packet sender
  pli.writeUInt32BE(mediaSsrc, 8); // SSRC of the media source that should send a keyframe
  return pli;
}

export interface Receiver {
  socket: dgram.Socket;
  port: number;
  packets: Buffer[];
  arrivals: number[];
  /** Resolves with the first packet (index >= from) that matches, or rejects after timeoutMs. */
  waitFor(match: (packet: Buffer, at: number) => boolean, timeoutMs: number, from?: number): Promise<{ packet: Buffer; at: number; index: number }>;
  close(): Promise<void>;
}

/** A UDP socket on 127.0.0.1 and an OS-chosen port that keeps every datagram it gets. */
export async function receiver(): Promise<Receiver> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const packets: Buffer[] = [];
  const arrivals: number[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (packet) => {
    packets.push(packet);
    arrivals.push(Date.now());
    for (const wake of waiters) wake();
  });
  return {
    socket,
    port: socket.address().port,
    packets,
    arrivals,
    waitFor(match, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        let next = from;
        const check = (): boolean => {
          for (; next < packets.length; next++) {
            if (match(packets[next]!, arrivals[next]!)) {
              resolve({ packet: packets[next]!, at: arrivals[next]!, index: next });
              return true;
            }
          }
          return false;
        };
        if (check()) return;
        const wake = (): void => {
          if (check()) done();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching packet within ${timeoutMs} ms (${packets.length - from} packets seen)`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        waiters.add(wake);
      });
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A UDP port that was free a moment ago (bound, read, closed), for gst's udpsrc to bind. */
export async function freePort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Whether a process with this pid is still running. A killed orphan can linger as a zombie when
 * PID 1 does not reap (as in some containers), so a zombie counts as gone.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
