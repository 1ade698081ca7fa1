#!/usr/bin/python3
"""Opens a page in WebKitGTK (WebKit2 4.1, the API Tauri v2 uses on Linux) and reports on it.

Usage: webkit-page.py URL [PROBE]
Every 200 ms prints one line on stdout: JSON.stringify(window.bridgeTest.snapshot()), or
{"pending": "..."} until the page has one; PROBE, a JavaScript expression giving a JSON string,
is polled instead when given (the built page has no bridgeTest). Each line read on stdin is
JavaScript to run in the page (e.g. bridgeTest.keyframe()); "reload" reloads it; "screenshot PATH"
writes the page's canvas (the video as WebKitGTK drew it) as a PNG; "window-screenshot PATH" saves
the whole window (the page as a person sees it) and then prints {"screenshot": PATH}. Ends when
stdin closes.
Run it under xvfb-run: WebKitGTK needs a display.
"""
import base64
import json
import sys

import gi

gi.require_version('Gtk', '3.0')
gi.require_version('WebKit2', '4.1')
gi.require_version('Gdk', '3.0')
from gi.repository import Gdk, GLib, Gtk, WebKit2  # noqa: E402


def main():
    url = sys.argv[1]
    probe = sys.argv[2] if len(sys.argv) > 2 else \
        "window.bridgeTest ? JSON.stringify(window.bridgeTest.snapshot()) : JSON.stringify({pending: 'no bridgeTest yet'})"
    window = Gtk.Window()
    window.set_default_size(800, 600)
    view = WebKit2.WebView()
    settings = view.get_settings()
    # A page from disk loading its own script; nothing else is loosened.
    settings.set_allow_file_access_from_file_urls(True)
    window.add(view)
    window.connect('destroy', Gtk.main_quit)
    window.show_all()
    view.load_uri(url)

    def report(result_view, result):
        try:
            value = result_view.evaluate_javascript_finish(result)
            line = value.to_string() if value is not None else 'null'
        except GLib.Error as error:
            line = json.dumps({'pending': error.message})
        print(line, flush=True)

    def poll():
        view.evaluate_javascript(probe, -1, None, None, None, report)
        return True

    def command(channel, _condition):
        line = channel.readline()
        if not line:
            Gtk.main_quit()
            return False
        line = line.strip()
        if line == 'reload':
            view.reload()
        elif line.startswith('window-screenshot '):
            # The window's pixels as the X server has them: no cairo bindings needed.
            path = line[len('window-screenshot '):]
            gdk_window = window.get_window()
            shot = Gdk.pixbuf_get_from_window(gdk_window, 0, 0, gdk_window.get_width(), gdk_window.get_height())
            shot.savev(path, 'png', [], [])
            print(json.dumps({'screenshot': path}), flush=True)
        elif line.startswith('screenshot '):
            # The canvas's own pixels: a window snapshot would need python3-gi-cairo as well.
            path = line[len('screenshot '):]

            def save(result_view, result):
                url = result_view.evaluate_javascript_finish(result).to_string()
                with open(path, 'wb') as file:
                    file.write(base64.b64decode(url.split(',', 1)[1]))

            view.evaluate_javascript("document.querySelector('canvas').toDataURL('image/png')", -1, None, None, None, save)
        elif line:
            view.evaluate_javascript(line, -1, None, None, None, None)
        return True

    GLib.timeout_add(200, poll)
    GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.IO_IN | GLib.IO_HUP, command)
    Gtk.main()


if __name__ == '__main__':
    main()
