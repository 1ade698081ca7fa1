"""Send a hailo-apps app's detections to a Pigeon agent, from its GStreamer callback.

Python's standard library only. The agent listens with `--detections unix:/run/pigeon/detections.sock`;
in the app's callback::

    from pigeon_detections import PigeonDetections
    pigeon = PigeonDetections("/run/pigeon/detections.sock")

    def app_callback(pad, info, user_data):
        buffer = info.get_buffer()
        roi = hailo.get_roi_from_buffer(buffer)
        pigeon.send(roi.get_objects_typed(hailo.HAILO_DETECTION), pts=buffer.pts, offset=buffer.offset)
        return Gst.PadProbeReturn.OK

Each frame's line carries the wall time of the call (`wallMs`) — called from the callback just
before the app's shmsink, that names the frame for the agent — the buffer's PTS, and a frame
count (`offset`): the buffer's offset when given, else the number of send() calls before this
one. The agent uses the count's steps to tell frames apart that reached it in one burst.
`send()` never blocks the caller's pipeline: the socket is non-blocking, a frame the agent is not
taking (slow, stopped, restarting) is dropped and counted in `dropped`, and the connection is made
again by itself, at most once a second. Detections may be hailo objects (get_label(),
get_confidence(), get_bbox(), get_class_id(), get_objects_typed()) or plain dicts
{"label", "confidence", "x", "y", "w", "h", "class_id"?, "track_id"?, "sublabel"?}.
"""

import errno
import json
import socket
import time

try:  # present inside a hailo-apps app; the helper itself needs only the standard library
    import hailo as _hailo
except ImportError:
    _hailo = None

__all__ = ["PigeonDetections"]

RETRY_S = 1.0
# What one frame may hold: the agent skips longer lines, so they are not sent.
MAX_BYTES = 64 * 1024
_AGAIN = (errno.EAGAIN, errno.EWOULDBLOCK)


def _clamp(value):
    return min(1.0, max(0.0, float(value)))


def _hailo_box(detection):
    bbox = detection.get_bbox()
    box = {"label": str(detection.get_label())[:64], "confidence": _clamp(detection.get_confidence()),
           "x": _clamp(bbox.xmin()), "y": _clamp(bbox.ymin()), "w": _clamp(bbox.width()), "h": _clamp(bbox.height())}
    class_id = detection.get_class_id()
    if isinstance(class_id, int) and class_id >= 0:
        box["classId"] = class_id
    if _hailo is not None:
        ids = detection.get_objects_typed(_hailo.HAILO_UNIQUE_ID)
        classes = detection.get_objects_typed(_hailo.HAILO_CLASSIFICATION)
    else:  # objects shaped like hailo's, told apart by their class names
        subs = detection.get_objects()
        ids = [o for o in subs if type(o).__name__ == "HailoUniqueID"]
        classes = [o for o in subs if type(o).__name__ == "HailoClassification"]
    for unique in ids:
        if unique.get_id() >= 0:
            box["trackId"] = int(unique.get_id())
    labels = [c.get_label() for c in classes if c.get_label()]
    if labels:
        box["sublabel"] = ", ".join(labels)[:64]
    return box


def _dict_box(detection):
    box = {"label": str(detection["label"])[:64], "confidence": _clamp(detection["confidence"]),
           "x": _clamp(detection["x"]), "y": _clamp(detection["y"]), "w": _clamp(detection["w"]), "h": _clamp(detection["h"])}
    for key, name in (("class_id", "classId"), ("classId", "classId"), ("track_id", "trackId"), ("trackId", "trackId")):
        value = detection.get(key)
        if isinstance(value, int) and value >= 0:
            box[name] = value
    if detection.get("sublabel"):
        box["sublabel"] = str(detection["sublabel"])[:64]
    return box


class PigeonDetections:
    """One frame's detections a line at a time to the agent's unix socket; never waits on it."""

    def __init__(self, path, retry_s=RETRY_S):
        self.path = path
        self.retry_s = retry_s
        self.sent = 0
        self.dropped = 0
        self.calls = 0
        self._socket = None
        self._pending = b""
        self._next_try = 0.0

    def send(self, detections, pts=None, offset=None, rtp_timestamp=None):
        """Sends one frame's detections; returns True if the agent's socket took them."""
        count = self.calls
        self.calls += 1
        # Before any work on the frame: while the agent is away a call costs next to nothing.
        if not self._connected() or not self._flush():
            self.dropped += 1
            return False
        message = {"boxes": [(_dict_box(d) if isinstance(d, dict) else _hailo_box(d)) for d in detections][:256]}
        # A buffer without a time says so with GST_CLOCK_TIME_NONE / GST_BUFFER_OFFSET_NONE (2**64 - 1).
        if isinstance(pts, int) and 0 <= pts < 2**53:
            message["pts"] = pts
        message["offset"] = offset if isinstance(offset, int) and 0 <= offset < 2**53 else count
        # When the callback saw the frame: what the agent maps to the frame it was computed on
        # (docs/protocol.md, "Which frame a set belongs to").
        message["wallMs"] = time.time() * 1000
        if isinstance(rtp_timestamp, int) and 0 <= rtp_timestamp < 2**32:
            message["rtpTimestamp"] = rtp_timestamp
        line = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        if len(line) > MAX_BYTES:
            self.dropped += 1
            return False
        self._pending = line
        self._flush()
        self.sent += 1
        return True

    def close(self):
        if self._socket is not None:
            self._socket.close()
        self._socket = None
        self._pending = b""

    def _connected(self):
        if self._socket is not None:
            return True
        now = time.monotonic()
        if now < self._next_try:
            return False
        self._next_try = now + self.retry_s
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect(self.path)
        except OSError:
            sock.close()
            return False
        self._socket = sock
        return True

    def _flush(self):
        """Writes what is left of the last line; True when nothing is left. A line is never cut short."""
        while self._pending:
            try:
                n = self._socket.send(self._pending)
            except OSError as error:
                if error.errno in _AGAIN:
                    return False
                self.close()  # the agent went away: the rest of its line goes with it
                return False
            self._pending = self._pending[n:]
        return True
