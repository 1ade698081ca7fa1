#!/usr/bin/python3
"""A GStreamer app standing in for a user's hailo-apps detection app, without Hailo elements.

    /usr/bin/python3 hailo-app.py --shm PATH [--unix PATH | --fifo PATH] [--width 320 --height 240 --fps 30]

It has the shape docs/hailo.md asks a hailo-apps user to give theirs: the app's pipeline up to
its user callback (here videotestsrc; in hailo-apps the camera, hailonet and hailofilter), the
callback as a buffer probe on an identity (hailo-apps' `identity_callback`), then a tee with the
app's own display branch and Pigeon's branch: a leaky queue and a shmsink that never waits for
a reader.

The callback sends, for every frame, one detection in Pigeon's JSON lines labelled with the
frame's number and the wall time the callback saw it (`wallMs`, what frame-clock.ts maps). It
never blocks: a datagram to --unix or a write to --fifo, both non-blocking; when the agent is
slow, stopped or restarting, the set is dropped and counted. This is a minimal sender written
for the tests; hailo-in's helper is the one users call.

Prints JSON lines on stdout: {"event":"ready"} once playing, then once a second
{"event":"fps","fps":…,"frames":…,"sent":…,"dropped":…,"callbackUs":…}.
Exits on SIGTERM/SIGINT or when stdin closes.
"""

import argparse
import errno
import json
import os
import signal
import socket
import sys
import time

import gi

gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst  # noqa: E402


def emit(event):
    sys.stdout.write(json.dumps(event) + '\n')
    sys.stdout.flush()


class Sender:
    """Non-blocking delivery of one line per frame; drops (and counts) what cannot go at once."""

    def __init__(self, unix_path, fifo_path):
        self.unix_path = unix_path
        self.fifo_path = fifo_path
        self.sock = None
        self.fd = None
        self.sent = 0
        self.dropped = 0
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.sock.setblocking(False)

    def send(self, line):
        data = (line + '\n').encode()
        try:
            if self.sock is not None:
                self.sock.sendto(data, self.unix_path)
            elif self.fifo_path:
                if self.fd is None:
                    # ENXIO while nobody reads: no wait for a reader.
                    self.fd = os.open(self.fifo_path, os.O_WRONLY | os.O_NONBLOCK)
                os.write(self.fd, data)
            else:
                return
            self.sent += 1
        except OSError as error:
            self.dropped += 1
            if error.errno in (errno.EPIPE, errno.EBADF) and self.fd is not None:
                os.close(self.fd)
                self.fd = None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--shm', required=True)
    parser.add_argument('--unix')
    parser.add_argument('--fifo')
    parser.add_argument('--width', type=int, default=320)
    parser.add_argument('--height', type=int, default=240)
    parser.add_argument('--fps', type=int, default=30)
    args = parser.parse_args()

    Gst.init(None)
    frame_bytes = args.width * args.height * 3
    pipeline = Gst.parse_launch(
        f'videotestsrc is-live=true pattern=ball ! video/x-raw,format=RGB,width={args.width},height={args.height},framerate={args.fps}/1 '
        '! identity name=identity_callback ! tee name=app_tee '
        'app_tee. ! queue ! fakesink name=app_display sync=true '
        'app_tee. ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 '
        f'! shmsink socket-path={args.shm} shm-size={frame_bytes * 4} wait-for-connection=false sync=false async=false'
    )
    sender = Sender(args.unix, args.fifo)
    state = {'frames': 0, 'window': 0, 'callback_ns': 0, 'since': time.monotonic()}

    def app_callback(_pad, info):
        started = time.monotonic_ns()
        n = state['frames']
        state['frames'] += 1
        state['window'] += 1
        # What a hailo-apps callback has to hand: the frame's detections, here one box per frame.
        box = {'label': f'frame {n}', 'confidence': 0.9, 'x': 0.1, 'y': 0.1, 'w': 0.3, 'h': 0.3}
        sender.send(json.dumps({'boxes': [box], 'wallMs': time.time() * 1000, 'frame': n}))
        state['callback_ns'] += time.monotonic_ns() - started
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name('identity_callback').get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, app_callback)

    loop = GLib.MainLoop()

    def report():
        now = time.monotonic()
        seconds = now - state['since']
        frames = state['window']
        emit({
            'event': 'fps',
            'fps': round(frames / seconds, 2) if seconds > 0 else 0,
            'frames': state['frames'],
            'sent': sender.sent,
            'dropped': sender.dropped,
            'callbackUs': round(state['callback_ns'] / frames / 1000, 1) if frames else 0,
        })
        state['since'] = now
        state['window'] = 0
        state['callback_ns'] = 0
        return True

    def on_message(_bus, message):
        if message.type == Gst.MessageType.ERROR:
            error, _debug = message.parse_error()
            emit({'event': 'error', 'message': error.message})
            loop.quit()
        elif message.type == Gst.MessageType.STATE_CHANGED and message.src == pipeline:
            _old, new, _pending = message.parse_state_changed()
            if new == Gst.State.PLAYING:
                emit({'event': 'ready'})

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect('message', on_message)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_HUP | GLib.IO_IN, lambda *_: (loop.quit(), False)[1])
    GLib.timeout_add(1000, report)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    finally:
        pipeline.set_state(Gst.State.NULL)


if __name__ == '__main__':
    main()
