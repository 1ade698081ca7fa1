#!/usr/bin/python3
"""GStreamer webrtcbin as a scriptable WebRTC peer for tests and benchmarks.

    /usr/bin/python3 webrtcbin-peer.py send|receive [--width 640 --height 480 --fps 30 --bitrate 2000]

JSON lines: commands on stdin, events on stdout (one object a line, flushed at once),
diagnostics on stderr. Exits when stdin closes, on SIGTERM/SIGINT, or after a fatal error.

send     a reference H.264 sender like the Pi agent's pipeline. Prints {"type":"offer","sdp"} once
         ICE gathering is complete (non-trickle), then applies {"type":"answer","sdp"} from stdin.
receive  a third-party answerer. Reads {"type":"offer","sdp"}, prints {"type":"answer","sdp"} once
         gathering is complete, decodes the incoming video and prints {"event":"frame","count","at"}
         for the first frame and every 30th after it.

Both print {"event":"ready"} once the pipeline is playing, {"event":"state", <what>: <nick>} for
ICE gathering/ICE connection/peer connection changes, {"event":"remote-description-set"} and
{"event":"error","message"} (fatal: the process then exits 1).

webrtcbin calls back on its own threads; every callback here only hands its data to the GLib main
loop (GLib.idle_add), and all state lives on that loop.
"""

import argparse
import json
import os
import re
import signal
import sys
import threading
import time

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

FRAME_EVERY = 30

# What the Pi agent advertises (pi-agent/src/webrtc/peer.ts). x264 marks constrained baseline with
# constraint_set0/1 only, so rtph264pay derives 42c01e; the codec table in src/signal knows 42e01f.
# Both name constrained baseline, and the stream's level (3.0) is within 3.1. SPS/PPS travel
# in-band (config-interval=-1), so sprop-parameter-sets is left out, as the agent does.
H264_FMTP = 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f'

# What the receiver accepts; payload types and fmtp come from the offer.
RECV_CAPS = (
    'application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,packetization-mode=(string)1;'
    'application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000'
)


def log(message):
    sys.stderr.write(f'webrtcbin-peer: {message}\n')
    sys.stderr.flush()


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def send_pipeline(args):
    # As the agent builds it (pi-agent/src/gst/pipeline-spec.ts: test source, x264 encoder).
    return (
        f'videotestsrc is-live=true pattern=smpte horizontal-speed=2 '
        f'! video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1 '
        f'! videoconvert '
        f'! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate={args.bitrate} '
        f'! video/x-h264,profile=constrained-baseline '
        f'! rtph264pay config-interval=-1 aggregate-mode=zero-latency mtu=1200 '
        f'! application/x-rtp,media=video,encoding-name=H264,payload=96 '
        f'! webrtcbin name=webrtc bundle-policy={args.bundle_policy}'
    )


def with_agent_h264_fmtp(sdp):
    """Rewrites the fmtp of every H264 payload type to the agent's."""
    h264 = set(re.findall(r'^a=rtpmap:(\d+) H264/90000', sdp, flags=re.M))
    return re.sub(
        r'^a=fmtp:(\d+) [^\r\n]*',
        lambda m: f'a=fmtp:{m.group(1)} {H264_FMTP}' if m.group(1) in h264 else m.group(0),
        sdp,
        flags=re.M,
    )


def with_offer_profile_level_ids(answer, offer):
    """Puts the offer's H.264 profile-level-id back into the answer's fmtp lines.

    webrtcbin 1.22 drops it when answering, and an fmtp without one means baseline level 1.0
    (RFC 6184), which is not what it can decode.
    """
    offered = dict(re.findall(r'^a=fmtp:(\d+) [^\r\n]*?profile-level-id=([0-9a-fA-F]{6})', offer, flags=re.M))

    def restore(match):
        pt, params = match.group(1), match.group(2)
        if pt not in offered or 'profile-level-id=' in params:
            return match.group(0)
        return f'a=fmtp:{pt} {params};profile-level-id={offered[pt]}'

    return re.sub(r'^a=fmtp:(\d+) ([^\r\n]*)', restore, answer, flags=re.M)


def parse_sdp(kind, text):
    result, message = GstSdp.SDPMessage.new_from_text(text)
    if result != GstSdp.SDPResult.OK:
        raise ValueError(f'{kind} SDP does not parse ({result.value_nick})')
    sdp_type = GstWebRTC.WebRTCSDPType.OFFER if kind == 'offer' else GstWebRTC.WebRTCSDPType.ANSWER
    return GstWebRTC.WebRTCSessionDescription.new(sdp_type, message)


class Peer:
    def __init__(self, role, args):
        self.role = role
        self.loop = GLib.MainLoop()
        self.exit_code = 0
        self.stdin_buffer = b''
        self.offer_sent = False
        self.awaiting_gathering = None  # 'offer' or 'answer' while waiting for gathering to complete
        self.offer_text = ''  # the remote offer (receive role)
        self.frames = 0
        self.frames_lock = threading.Lock()

        if role == 'send':
            self.pipeline = Gst.parse_launch(send_pipeline(args))
            self.webrtc = self.pipeline.get_by_name('webrtc')
            self.webrtc.connect('on-negotiation-needed', self.on_negotiation_needed)
        else:
            self.pipeline = Gst.Pipeline.new('receive')
            self.webrtc = Gst.ElementFactory.make('webrtcbin', 'webrtc')
            Gst.util_set_object_arg(self.webrtc, 'bundle-policy', args.bundle_policy)
            # Its 200 ms jitter buffer would sit in every first-frame time a test measures of the
            # sender; on loopback nothing needs reordering.
            self.webrtc.set_property('latency', 0)
            self.pipeline.add(self.webrtc)
            self.webrtc.connect('pad-added', self.on_webrtc_pad)
            self.webrtc.connect('on-data-channel', self.on_data_channel)

        for prop in ('ice-gathering-state', 'ice-connection-state', 'connection-state'):
            self.webrtc.connect(f'notify::{prop}', self.on_state_notify)

        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect('message', self.on_bus_message)

        channel = GLib.IOChannel.unix_new(sys.stdin.fileno())
        GLib.io_add_watch(channel, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR, self.on_stdin)
        for signum in (signal.SIGTERM, signal.SIGINT):
            GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, self.on_signal, signum)

    # Lifecycle (main loop)

    def run(self):
        if self.role == 'send':
            # The sender offers with a sendonly transceiver; webrtcbin makes it sendrecv otherwise.
            transceiver = self.webrtc.emit('get-transceiver', 0)
            transceiver.set_property('direction', GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        else:
            caps = Gst.Caps.from_string(RECV_CAPS)
            self.webrtc.emit('add-transceiver', GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, caps)
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.fail('the pipeline would not go to PLAYING')
        else:
            emit({'event': 'ready', 'role': self.role, 'pid': os.getpid()})
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return self.exit_code

    def stop(self, code=0):
        self.exit_code = self.exit_code or code
        self.loop.quit()

    def fail(self, message):
        log(message)
        emit({'event': 'error', 'message': message})
        self.stop(1)

    def on_signal(self, signum):
        log(f'signal {signum}, stopping')
        self.stop()
        return GLib.SOURCE_REMOVE

    def on_bus_message(self, _bus, message):
        if message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            log(f'debug: {debug}')
            self.fail(f'{message.src.get_name()}: {error.message}')
        elif message.type == Gst.MessageType.WARNING:
            warning, debug = message.parse_warning()
            log(f'warning from {message.src.get_name()}: {warning.message} ({debug})')

    # Commands (main loop)

    def on_stdin(self, _channel, condition):
        chunk = b''
        if condition & GLib.IOCondition.IN:
            chunk = os.read(sys.stdin.fileno(), 65536)
        if not chunk:
            log('stdin closed, stopping')
            self.stop()
            return GLib.SOURCE_REMOVE
        self.stdin_buffer += chunk
        *lines, self.stdin_buffer = self.stdin_buffer.split(b'\n')
        for line in lines:
            if line.strip():
                self.on_command(line)
        return GLib.SOURCE_CONTINUE

    def on_command(self, line):
        try:
            command = json.loads(line)
        except ValueError as error:
            self.fail(f'stdin line is not JSON ({error}): {line[:80]!r}')
            return
        kind = command.get('type') if isinstance(command, dict) else None
        try:
            if kind == 'answer' and self.role == 'send':
                self.set_remote(parse_sdp('answer', command['sdp']))
            elif kind == 'offer' and self.role == 'receive':
                self.accept_offer(parse_sdp('offer', command['sdp']))
            else:
                self.fail(f'the {self.role} role takes no {kind!r} command')
        except (KeyError, ValueError) as error:
            self.fail(f'bad {kind} command: {error}')

    # Signalling. webrtcbin answers a promise on its own thread; the reply is read on the loop.

    def ask(self, action, *args, then):
        """Emits a webrtcbin action signal and calls then(reply structure or None, error) on the loop."""
        # The promise is held here, not taken from the change callback: that one is only borrowed
        # and webrtcbin drops it as soon as the callback returns.
        holder = {}

        def on_loop():
            promise = holder.pop('promise')
            result = promise.wait()  # already answered: returns at once
            reply = promise.get_reply() if result == Gst.PromiseResult.REPLIED else None
            if result != Gst.PromiseResult.REPLIED:
                then(None, f'{action}: the promise was {result.value_nick}, not answered')
            elif reply is not None and reply.has_field('error'):
                then(None, f'{action} failed: {reply.get_value("error")}')
            else:
                then(reply, None)
            return GLib.SOURCE_REMOVE

        holder['promise'] = Gst.Promise.new_with_change_func(lambda _borrowed: GLib.idle_add(on_loop))
        self.webrtc.emit(action, *args, holder['promise'])

    def on_negotiation_needed(self, _element):
        GLib.idle_add(self.create_offer)

    def create_offer(self):
        if self.offer_sent:
            log('negotiation needed again; renegotiation is not supported, ignoring')
            return GLib.SOURCE_REMOVE
        self.offer_sent = True
        self.ask('create-offer', None, then=self.on_offer_created)
        return GLib.SOURCE_REMOVE

    def on_offer_created(self, reply, error):
        if error:
            self.fail(error)
            return
        offer = reply.get_value('offer')
        self.set_local('offer', parse_sdp('offer', with_agent_h264_fmtp(offer.sdp.as_text())))

    def accept_offer(self, offer):
        self.offer_text = offer.sdp.as_text()
        self.ask('set-remote-description', offer, then=lambda _reply, error: self.after_remote_set(error, True))

    def set_remote(self, answer):
        self.ask('set-remote-description', answer, then=lambda _reply, error: self.after_remote_set(error, False))

    def after_remote_set(self, error, then_answer):
        if error:
            self.fail(error)
            return
        emit({'event': 'remote-description-set'})
        if then_answer:
            self.ask('create-answer', None, then=self.on_answer_created)

    def on_answer_created(self, reply, error):
        if error:
            self.fail(error)
            return
        answer = reply.get_value('answer').sdp.as_text()
        self.set_local('answer', parse_sdp('answer', with_offer_profile_level_ids(answer, self.offer_text)))

    def set_local(self, kind, description):
        self.ask('set-local-description', description, then=lambda _reply, error: self.after_local_set(error, kind))

    def after_local_set(self, error, kind):
        if error:
            self.fail(f'({kind}) {error}')
            return
        # Non-trickle: the SDP goes out only once it carries every candidate.
        self.awaiting_gathering = kind
        self.maybe_print_local()

    def maybe_print_local(self):
        state = self.webrtc.get_property('ice-gathering-state')
        if self.awaiting_gathering is None or state != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return
        kind, self.awaiting_gathering = self.awaiting_gathering, None
        emit({'type': kind, 'sdp': self.webrtc.get_property('local-description').sdp.as_text()})

    # State (notify:: arrives on any thread)

    def on_state_notify(self, element, pspec):
        value = element.get_property(pspec.name)
        GLib.idle_add(self.on_state, pspec.name, value.value_nick)

    def on_state(self, name, nick):
        key = {'ice-gathering-state': 'gathering', 'ice-connection-state': 'ice', 'connection-state': 'connection'}[name]
        emit({'event': 'state', key: nick})
        if key == 'gathering':
            self.maybe_print_local()
        return GLib.SOURCE_REMOVE

    # Receiving media. pad-added comes on a streaming thread that pushes data as soon as the
    # handler returns, so the handler links at once (GstBin is thread-safe); anything that touches
    # our state or stdout still goes through the loop.

    def on_data_channel(self, _element, channel):
        label = channel.get_property('label')
        GLib.idle_add(lambda: emit({'event': 'data-channel', 'label': label}) and False)

    def on_webrtc_pad(self, _element, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps()
        GLib.idle_add(lambda: log(f'incoming stream {caps.to_string() if caps else "(no caps yet)"}'))
        decodebin = Gst.ElementFactory.make('decodebin')
        decodebin.connect('pad-added', self.on_decoded_pad)
        self.pipeline.add(decodebin)
        decodebin.sync_state_with_parent()
        if pad.link(decodebin.get_static_pad('sink')) != Gst.PadLinkReturn.OK:
            GLib.idle_add(lambda: self.fail(f'could not link {pad.get_name()} to decodebin'))

    def on_decoded_pad(self, _decodebin, pad):
        caps = pad.get_current_caps()
        name = caps.get_structure(0).get_name() if caps else '(no caps yet)'
        GLib.idle_add(lambda: log(f'decoded pad {name}'))
        if not name.startswith('video/'):
            return
        sink = Gst.ElementFactory.make('fakesink')
        sink.set_property('sync', False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_decoded_buffer)
        if pad.link(sink.get_static_pad('sink')) != Gst.PadLinkReturn.OK:
            GLib.idle_add(lambda: self.fail(f'could not link decoded pad {pad.get_name()} to fakesink'))

    def on_decoded_buffer(self, _pad, _info):
        at = time.time() * 1000  # stamped here, on the streaming thread, not when the loop gets to it
        with self.frames_lock:
            self.frames += 1
            count = self.frames
        if count == 1 or count % FRAME_EVERY == 0:
            GLib.idle_add(lambda: emit({'event': 'frame', 'count': count, 'at': round(at, 1)}) and False)
        return Gst.PadProbeReturn.OK


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('role', choices=['send', 'receive'])
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--fps', type=int, default=30)
    parser.add_argument('--bitrate', type=int, default=2000, help='kbit/s (x264enc)')
    parser.add_argument('--bundle-policy', choices=['max-bundle', 'balanced', 'max-compat', 'none'], default='max-bundle')
    args = parser.parse_args()
    Gst.init(None)
    for element in ('webrtcbin', 'nicesrc', 'dtlssrtpenc') + (('x264enc', 'rtph264pay') if args.role == 'send' else ()):
        if Gst.ElementFactory.find(element) is None:
            log(f'GStreamer element {element} is missing')
            emit({'event': 'error', 'message': f'GStreamer element {element} is missing'})
            return 1
    return Peer(args.role, args).run()


if __name__ == '__main__':
    sys.exit(main())
