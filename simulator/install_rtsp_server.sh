#!/usr/bin/env bash
# Installs Debian's GStreamer RTSP server for the simulator when it is missing and we may
# (root with apt-get). Never fails the build: without it the demo reads the clips as
# files and the RTSP tests skip, both saying so loudly.
set -u
PKGS="python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp \
gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad"
check() {
  /usr/bin/python3 -c "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); from gi.repository import Gst, GstRtspServer; Gst.init(None); assert Gst.ElementFactory.find('rtph264pay') and Gst.ElementFactory.find('h264parse')" 2>/dev/null
}
VTEST=/usr/share/doc/opencv-doc/examples/data/vtest.avi
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
updated=0
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  [ "$updated" = 1 ] || { apt-get update -qq >/dev/null; updated=1; }
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
# OpenCV's vtest.avi (real fixed-camera street footage) is the detectors' real negative.
if [ ! -f "$VTEST" ] && [ ! -f "$VTEST.gz" ] && can_apt; then
  echo "installing opencv-doc for vtest.avi (real street footage for the detector tests) ..."
  apt_install opencv-doc || echo "WARNING: opencv-doc not installed: vtest.avi tests will be SKIPPED." >&2
fi
# Headless Chromium (and a CJK font for its screenshots) for the console's browser tests.
if [ ! -x /usr/bin/chromium ] && can_apt; then
  echo "installing chromium for the console's browser tests ..."
  apt_install chromium fonts-wqy-microhei || echo "WARNING: chromium not installed: browser tests will be SKIPPED." >&2
fi
# ffmpeg: `tianwang bench ingest` measures Frigate-style decoding with one ffmpeg per camera.
if ! command -v ffmpeg >/dev/null && can_apt; then
  echo "installing ffmpeg for bench ingest's Frigate-style way ..."
  apt_install ffmpeg || echo "WARNING: ffmpeg not installed: bench ingest cannot measure the Frigate style." >&2
fi
if check; then
  exit 0
fi
if can_apt; then
  echo "installing the GStreamer RTSP server (Debian packages) for the simulator ..."
  apt_install $PKGS
  check && exit 0
fi
echo "WARNING: GStreamer RTSP server unavailable (need root + apt-get, packages: $PKGS)." >&2
echo "WARNING: the demo will read its clips as files; RTSP tests will be SKIPPED." >&2
exit 0
