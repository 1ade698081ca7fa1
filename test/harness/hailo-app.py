#!/usr/bin/python3
"""A GStreamer app standing in for a user's hailo-apps detection app, without Hailo elements.

    /usr/bin/python3 hailo-app.py --unix PATH [--shm PATH] [--width 320 --height 240 --fps 30]

It has the shape docs/hailo.md asks a hailo-apps user to give theirs: the app's pipeline up to
its user callback (here a camera made of numbered frames; in hailo-apps the camera, hailonet and
hailofilter), the callback as a buffer probe on an identity (hailo-apps' `identity_callback`),
then a tee with the app's own display branch and, with --shm, Pigeon's branch: a leaky queue and
a shmsink that never waits for a reader.

Frame n carries its number in the picture: along the top, 16 blocks (white 1, black 0) of
n mod 65536, most significant first, and under them the same bits inverted, so a reader can tell
a number read from a damaged one. The callback sends, for every frame, one detection labelled
`frame n` (track id 1) through Pigeon's own helper, pi-agent/python/pigeon_detections.py, to the
agent's `--detections unix:PATH` socket, as a hailo-apps callback would: the buffer's PTS and
offset (n) with it. The helper never blocks; while the agent is away the set is dropped and
counted.

Prints JSON lines on stdout: {"event":"ready"} once playing, then once a second
{"event":"fps","fps":…,"frames":…,"sent":…,"dropped":…,"callbackUs":…,"worstUs":…}
(callbackUs the callback's mean cost per frame in that second, worstUs its slowest).
Exits on SIGTERM/SIGINT or when stdin closes.
"""

import argparse
import json
import os
import signal
import sys
import time

import gi

gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'pi-agent', 'python'))
from pigeon_detections import PigeonDetections  # noqa: E402

BITS = 16
BAND = 20  # rows per band of blocks


def emit(event):
    sys.stdout.write(json.dumps(event) + '\n')
    sys.stdout.flush()


class NumberedFrames:
    """RGB frames with their number along the top (see the module's docstring)."""

    def __init__(self, width, height):
        self.block = width // BITS
        self.width = width
        self.rest = bytes([128]) * (width * (height - 2 * BAND) * 3)

    def frame(self, n):
        white = b'\xff' * (self.block * 3)
        black = b'\x00' * (self.block * 3)
        bits = [(n >> (BITS - 1 - i)) & 1 for i in range(BITS)]
        pad = b'\x80' * ((self.width - self.block * BITS) * 3)
        row = b''.join(white if bit else black for bit in bits) + pad
        inverted = b''.join(black if bit else white for bit in bits) + pad
        return row * BAND + inverted * BAND + self.rest


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--unix', required=True)
    parser.add_argument('--shm')
    parser.add_argument('--width', type=int, default=320)
    parser.add_argument('--height', type=int, default=240)
    parser.add_argument('--fps', type=int, default=30)
    args = parser.parse_args()

    Gst.init(None)
    frame_bytes = args.width * args.height * 3
    caps = f'video/x-raw,format=RGB,width={args.width},height={args.height},framerate={args.fps}/1'
    pigeon_branch = (
        'app_tee. ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 '
        f'! shmsink socket-path={args.shm} shm-size={frame_bytes * 4} wait-for-connection=false sync=false async=false'
        if args.shm else ''
    )
    # The camera: frames made here, paced to the clock as a live camera delivers them.
    pipeline = Gst.parse_launch(
        f'appsrc name=camera is-live=true format=time caps={caps} max-buffers=2 block=true ! identity sync=true '
        '! identity name=identity_callback ! tee name=app_tee '
        'app_tee. ! queue ! fakesink name=app_display sync=true ' + pigeon_branch
    )
    frames = NumberedFrames(args.width, args.height)
    duration = Gst.SECOND // args.fps
    camera = pipeline.get_by_name('camera')
    made = {'n': 0}

    def need_data(source, _length):
        n = made['n']
        made['n'] += 1
        buffer = Gst.Buffer.new_wrapped(frames.frame(n))
        buffer.pts = n * duration
        buffer.duration = duration
        buffer.offset = n
        source.emit('push-buffer', buffer)

    camera.connect('need-data', need_data)

    pigeon = PigeonDetections(args.unix)
    state = {'frames': 0, 'window': 0, 'callback_ns': 0, 'worst_ns': 0, 'since': time.monotonic()}

    def app_callback(_pad, info):
        started = time.perf_counter_ns()
        buffer = info.get_buffer()
        n = buffer.offset
        # What a hailo-apps callback has to hand: the frame's detections, here one box per frame.
        box = {'label': f'frame {n}', 'confidence': 0.9, 'x': (n % 50) / 100, 'y': 0.4, 'w': 0.3, 'h': 0.3, 'track_id': 1}
        pigeon.send([box], pts=buffer.pts, offset=n)
        spent = time.perf_counter_ns() - started
        state['callback_ns'] += spent
        state['worst_ns'] = max(state['worst_ns'], spent)
        state['frames'] += 1
        state['window'] += 1
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name('identity_callback').get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, app_callback)

    loop = GLib.MainLoop()

    def report():
        now = time.monotonic()
        seconds = now - state['since']
        count = state['window']
        emit({
            'event': 'fps',
            'fps': round(count / seconds, 2) if seconds > 0 else 0,
            'frames': state['frames'],
            'sent': pigeon.sent,
            'dropped': pigeon.dropped,
            'callbackUs': round(state['callback_ns'] / count / 1000, 1) if count else 0,
            'worstUs': round(state['worst_ns'] / 1000, 1),
        })
        state.update(since=now, window=0, callback_ns=0, worst_ns=0)
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
        pigeon.close()


if __name__ == '__main__':
    main()
