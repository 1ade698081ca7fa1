// Which Debian / Raspberry Pi OS package provides each GStreamer element Pigeon uses, so a missing
// element is reported with the `apt install` that fixes it.
const HAILO_PACKAGE = 'hailo-all';
const PACKAGES: Record<string, string> = {
  queue: 'libgstreamer1.0-0',
  tee: 'libgstreamer1.0-0',
  identity: 'libgstreamer1.0-0',
  videotestsrc: 'gstreamer1.0-plugins-base',
  videoconvert: 'gstreamer1.0-plugins-base',
  videoscale: 'gstreamer1.0-plugins-base',
  videorate: 'gstreamer1.0-plugins-base',
  videoflip: 'gstreamer1.0-plugins-good',
  v4l2src: 'gstreamer1.0-plugins-good',
  v4l2h264enc: 'gstreamer1.0-plugins-good',
  v4l2convert: 'gstreamer1.0-plugins-good',
  jpegdec: 'gstreamer1.0-plugins-good',
  vp8enc: 'gstreamer1.0-plugins-good',
  rtph264pay: 'gstreamer1.0-plugins-good',
  rtpvp8pay: 'gstreamer1.0-plugins-good',
  rtpbin: 'gstreamer1.0-plugins-good',
  udpsink: 'gstreamer1.0-plugins-good',
  udpsrc: 'gstreamer1.0-plugins-good',
  x264enc: 'gstreamer1.0-plugins-ugly',
  fdsink: 'libgstreamer1.0-0',
  fdsrc: 'libgstreamer1.0-0',
  shmsink: 'gstreamer1.0-plugins-bad',
  shmsrc: 'gstreamer1.0-plugins-bad',
  rawvideoparse: 'gstreamer1.0-plugins-bad',
  multifilesrc: 'gstreamer1.0-plugins-good',
  pngdec: 'gstreamer1.0-plugins-good',
  kmssink: 'gstreamer1.0-plugins-bad',
  fbdevsink: 'gstreamer1.0-plugins-bad',
  autovideosink: 'gstreamer1.0-plugins-good',
  fakesink: 'libgstreamer1.0-0',
  libcamerasrc: 'gstreamer1.0-libcamera',
  hailonet: HAILO_PACKAGE,
  hailofilter: HAILO_PACKAGE,
  hailooverlay: HAILO_PACKAGE,
  hailomuxer: HAILO_PACKAGE,
  hailocropper: HAILO_PACKAGE,
  hailoaggregator: HAILO_PACKAGE,
  hailoexportzmq: HAILO_PACKAGE,
};

/** The package Pigeon knows provides `element`, or '' (a user's custom element). */
export function debianPackage(element: string): string {
  return PACKAGES[element] ?? '';
}
