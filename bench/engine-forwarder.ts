/**
 * The floor of bench:engine: a minimal forwarder on bare node-datachannel (libdatachannel). It
 * runs gst-launch with the agent's test source and x264 settings, takes the H.264 RTP on loopback
 * and sends every packet unchanged to each viewer's Track. One JSON line on stdin per command
 * (`{"cmd":"offer"}`, `{"cmd":"answer","id":N,"sdp":"…"}`); one JSON line on stdout per reply.
 * The only file besides engine/ that imports node-datachannel: it is the reference, not product.
 * Usage: node --import tsx bench/engine-forwarder.ts WIDTH HEIGHT KBITS
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { PeerConnection, Video, type Track } from 'node-datachannel';

const [width, height, kbits] = process.argv.slice(2).map(Number) as [number, number, number];
const SSRC = 0x50494745;
const FPS = 30;

const tracks = new Map<number, { pc: PeerConnection; track: Track }>();
const socket = createSocket('udp4');
socket.on('message', (packet) => {
  for (const { track } of tracks.values()) if (track.isOpen()) track.sendMessageBinary(packet);
});
socket.bind(0, '127.0.0.1', () => {
  const port = socket.address().port;
  const gst = spawn(
    'gst-launch-1.0',
    [
      '-q',
      ...`videotestsrc is-live=true pattern=smpte horizontal-speed=2 ! video/x-raw,width=${width},height=${height},framerate=${FPS}/1`.split(' '),
      ...`! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=${kbits} key-int-max=${FPS * 2}`.split(' '),
      ...`! video/x-h264,profile=constrained-baseline ! rtph264pay pt=96 ssrc=${SSRC} mtu=1200 config-interval=-1 aggregate-mode=zero-latency`.split(' '),
      ...`! udpsink host=127.0.0.1 port=${port}`.split(' '),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const stop = (): void => {
    gst.kill('SIGTERM');
    for (const { pc } of tracks.values()) pc.close();
    socket.close();
  };
  process.stdin.on('end', stop);
  reply({ type: 'ready', gst: gst.pid });
});

function reply(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

let next = 1;
function offer(): void {
  const id = next++;
  const pc = new PeerConnection(`viewer-${id}`, { iceServers: [] });
  const video = new Video('video', 'SendOnly');
  video.addH264Codec(96);
  video.addSSRC(SSRC, 'pigeon', 'pigeon', 'video');
  const track = pc.addTrack(video);
  tracks.set(id, { pc, track });
  pc.onGatheringStateChange((state) => {
    if (state === 'complete') reply({ type: 'offer', id, sdp: pc.localDescription()!.sdp });
  });
  pc.setLocalDescription();
}

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { cmd: 'offer' } | { cmd: 'answer'; id: number; sdp: string };
  if (command.cmd === 'offer') offer();
  else tracks.get(command.id)?.pc.setRemoteDescription(command.sdp, 'answer');
}
