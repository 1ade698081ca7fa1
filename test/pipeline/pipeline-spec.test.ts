import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_HAILO_FUNCTION,
  DEFAULT_HAILO_POST_PROCESS,
  WHOLE_BUFFER_CROP,
  buildPipeline,
  commandLine,
  isPipelineError,
  splitFragment,
  type EncoderKind,
  type PipelineOptions,
  type SourceKind,
} from '../../pi-agent/src/gst/pipeline-spec.ts';

const BASE: PipelineOptions = {
  source: 'test',
  encoder: 'x264',
  width: 1280,
  height: 720,
  fps: 30,
  bitrate: 2500,
  keyframeInterval: 2,
  rtpPort: 5004,
  rtcpPort: 5005,
  rtcpInPort: 5006,
  ssrc: 0x11223344,
  hef: '/usr/share/hailo-models/yolov8s_h8l.hef',
  exportAddress: 'ipc:///tmp/pigeon-test.zmq',
  custom: 'v4l2src device=/dev/video2 ! videoconvert',
  shm: { socketPath: '/tmp/pigeon-app.shm' },
};

/**
 * The pipeline's shape: element names, caps media types, pad references and links, without
 * properties, so each chain reads like a gst-launch line.
 */
function skeleton(args: readonly string[]): string {
  return args
    .flatMap((token) => {
      const head = token.split(',')[0]!;
      if (head.includes('/') && !head.includes('=')) return [head]; // caps: keep the media type
      if (token.includes('=')) return []; // a property
      return [token];
    })
    .join(' ');
}

/** The value of `key` on the first `element` in args. */
function prop(args: readonly string[], element: string, key: string): string | undefined {
  const at = args.indexOf(element);
  assert.ok(at >= 0, `${element} is in the pipeline`);
  for (let i = at + 1; i < args.length && args[i] !== '!' && args[i]!.includes('='); i++) {
    const [k, ...v] = args[i]!.split('=');
    if (k === key) return v.join('=');
  }
  return undefined;
}

const TAIL_X264 =
  'video/x-raw ! queue ! x264enc ! video/x-h264 ! rtph264pay ! pigeon_rtp.send_rtp_sink_0 ' +
  'pigeon_rtp.send_rtp_src_0 ! udpsink pigeon_rtp.send_rtcp_src_0 ! udpsink udpsrc ! pigeon_rtp.recv_rtcp_sink_0';

const SOURCES: Record<SourceKind, string> = {
  test: 'rtpbin videotestsrc ! videoconvert ! videoscale ! ',
  libcamera: 'rtpbin libcamerasrc ! video/x-raw ! videoconvert ! videoscale ! ',
  v4l2: 'rtpbin v4l2src ! videoconvert ! videoscale ! videorate ! ',
  custom: 'rtpbin v4l2src ! videoconvert ! videoconvert ! videoscale ! videorate ! ',
  stdin: 'rtpbin fdsrc ! rawvideoparse ! videoconvert ! videoscale ! ',
  // hailo-apps' INFERENCE_PIPELINE_WRAPPER: whole frames past the network, letterboxed copies into it.
  hailo:
    '-v rtpbin libcamerasrc ! video/x-raw ! queue ! hailocropper hailoaggregator ' +
    'pigeon_hailocrop. ! queue ! pigeon_hailoagg.sink_0 ' +
    'pigeon_hailocrop. ! queue ! videoscale ! video/x-raw ! videoconvert ! video/x-raw ! queue ! hailonet ! queue ! hailofilter ! queue ! pigeon_hailoagg.sink_1 ' +
    'pigeon_hailoagg. ! queue ! hailoexportzmq ! identity ! videoconvert ! videoscale ! ',
  shm: '-v rtpbin shmsrc ! video/x-raw ! identity ! videoconvert ! videoscale ! ',
};

for (const source of Object.keys(SOURCES) as SourceKind[]) {
  test(`${source} source: element chain into the x264 tail`, () => {
    const spec = buildPipeline({ ...BASE, source });
    assert.equal(skeleton(spec.args), SOURCES[source] + TAIL_X264);
  });
}

const ENCODERS: Record<EncoderKind, string> = {
  x264: 'queue ! x264enc ! video/x-h264 ! rtph264pay ! pigeon_rtp.send_rtp_sink_0',
  v4l2h264: 'queue ! v4l2h264enc ! video/x-h264 ! rtph264pay ! pigeon_rtp.send_rtp_sink_0',
  vp8: 'queue ! vp8enc ! rtpvp8pay ! pigeon_rtp.send_rtp_sink_0',
};

for (const source of Object.keys(SOURCES) as SourceKind[]) {
  for (const encoder of Object.keys(ENCODERS) as EncoderKind[]) {
    test(`${source} + ${encoder}: encoder chain and the RTP/RTCP wiring`, () => {
      const chain = skeleton(buildPipeline({ ...BASE, source, encoder }).args);
      assert.ok(chain.startsWith(SOURCES[source]), chain);
      assert.ok(chain.includes(`video/x-raw ! ${ENCODERS[encoder]} pigeon_rtp.send_rtp_src_0 ! udpsink `), chain);
      assert.ok(chain.endsWith('pigeon_rtp.send_rtcp_src_0 ! udpsink udpsrc ! pigeon_rtp.recv_rtcp_sink_0'), chain);
    });
  }
}

test('test + x264: the exact argv', () => {
  const spec = buildPipeline({ ...BASE, width: 640, height: 480, bitrate: 2000, keyframeInterval: 10 });
  assert.equal(
    commandLine(spec.args),
    'gst-launch-1.0 rtpbin name=pigeon_rtp videotestsrc is-live=true pattern=smpte horizontal-speed=2 ! videoconvert ! videoscale' +
      ' ! video/x-raw,format=I420,width=640,height=480,framerate=30/1' +
      ' ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0' +
      ' ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 key-int-max=300' +
      ' ! video/x-h264,profile=constrained-baseline' +
      ' ! rtph264pay pt=96 ssrc=287454020 mtu=1200 timestamp-offset=0 config-interval=-1 aggregate-mode=zero-latency ! pigeon_rtp.send_rtp_sink_0' +
      ' pigeon_rtp.send_rtp_src_0 ! udpsink host=127.0.0.1 port=5004 bind-address=127.0.0.1 sync=false async=false' +
      ' pigeon_rtp.send_rtcp_src_0 ! udpsink host=127.0.0.1 port=5005 bind-address=127.0.0.1 sync=false async=false' +
      ' udpsrc address=127.0.0.1 port=5006 caps=application/x-rtcp ! pigeon_rtp.recv_rtcp_sink_0',
  );
  assert.equal(
    spec.description,
    'test pattern 640×480@30 -> H.264 (x264) 2000 kbit/s, keyframe every 10 s -> RTP pt 96 ssrc 287454020 to 127.0.0.1:5004 (RTCP out 5005, in 5006)',
  );
});

test('sizes, rates, ports and the payloader settings reach their elements', () => {
  const x264 = buildPipeline({ ...BASE, payloadType: 102 }).args;
  assert.ok(x264.includes('video/x-raw,format=I420,width=1280,height=720,framerate=30/1'));
  assert.equal(prop(x264, 'x264enc', 'bitrate'), '2500'); // kbit/s
  assert.equal(prop(x264, 'x264enc', 'key-int-max'), '60'); // 2 s at 30 fps
  assert.equal(prop(x264, 'rtph264pay', 'pt'), '102');
  assert.equal(prop(x264, 'rtph264pay', 'ssrc'), String(0x11223344));
  assert.equal(prop(x264, 'rtph264pay', 'mtu'), '1200');
  assert.equal(prop(x264, 'udpsrc', 'port'), '5006');
  assert.equal(prop(x264, 'udpsrc', 'address'), '127.0.0.1');

  const vp8 = buildPipeline({ ...BASE, encoder: 'vp8', fps: 25, keyframeInterval: 4 }).args;
  assert.equal(prop(vp8, 'vp8enc', 'target-bitrate'), '2500000'); // bit/s
  assert.equal(prop(vp8, 'vp8enc', 'keyframe-max-dist'), '100');
  assert.equal(prop(vp8, 'vp8enc', 'deadline'), '1');
  assert.equal(prop(vp8, 'rtpvp8pay', 'ssrc'), String(0x11223344));
  assert.equal(prop(vp8, 'rtpvp8pay', 'pt'), '96');

  const hw = buildPipeline({ ...BASE, encoder: 'v4l2h264' }).args;
  assert.equal(prop(hw, 'v4l2h264enc', 'extra-controls'), 'controls,video_bitrate=2500000,h264_i_frame_period=60,repeat_sequence_header=1');
  assert.ok(hw.includes('video/x-h264,level=(string)4,profile=(string)constrained-baseline'));

  const noSsrc = buildPipeline({ ...BASE, ssrc: undefined }).args;
  assert.equal(prop(noSsrc, 'rtph264pay', 'ssrc'), undefined, 'gst picks an SSRC when none is given');

  const libcamera = buildPipeline({ ...BASE, source: 'libcamera', fps: 15 }).args;
  assert.ok(libcamera.includes('video/x-raw,format=NV12,width=1280,height=720,framerate=15/1'));
  assert.equal(prop(buildPipeline({ ...BASE, source: 'v4l2' }).args, 'v4l2src', 'device'), '/dev/video0');
  assert.equal(prop(buildPipeline({ ...BASE, source: 'v4l2', device: '/dev/video4' }).args, 'v4l2src', 'device'), '/dev/video4');
});

test('hailo: network, letterbox, post-process options, export address and overlay choice', () => {
  const args = buildPipeline({ ...BASE, source: 'hailo' }).args;
  assert.equal(prop(args, 'hailonet', 'hef-path'), BASE.hef);
  assert.equal(prop(args, 'hailofilter', 'so-path'), DEFAULT_HAILO_POST_PROCESS);
  assert.equal(prop(args, 'hailofilter', 'function-name'), DEFAULT_HAILO_FUNCTION);
  assert.equal(prop(args, 'hailofilter', 'config-path'), undefined, 'no config-path unless given');
  assert.equal(prop(args, 'hailofilter', 'qos'), 'false');
  // Letterboxed, not squashed: hailocropper pads to the network's shape and hailoaggregator maps
  // the boxes back onto the whole frame (hailo-apps' INFERENCE_PIPELINE_WRAPPER).
  assert.equal(prop(args, 'hailocropper', 'use-letterbox'), 'true');
  assert.equal(prop(args, 'hailocropper', 'so-path'), WHOLE_BUFFER_CROP);
  assert.equal(prop(args, 'hailocropper', 'function-name'), 'create_crops');
  assert.equal(prop(args, 'hailocropper', 'internal-offset'), 'true');
  assert.ok(args.includes('video/x-raw,pixel-aspect-ratio=1/1,width=640,height=640'), 'the inference branch is sized to the network input');
  assert.ok(args.includes('video/x-raw,format=RGB,width=1280,height=720,framerate=30/1'), 'the camera runs at the stream size');
  assert.equal(prop(args, 'hailoexportzmq', 'address'), 'ipc:///tmp/pigeon-test.zmq');
  assert.ok(!args.includes('hailooverlay'), 'by default the page draws the boxes: none in the picture');
  // The frame tap sits right after the export, and gst-launch prints its frames.
  assert.equal(args[0], '-v');
  assert.equal(args[args.indexOf('hailoexportzmq') + 3], 'identity');
  assert.equal(prop(args, 'identity', 'name'), 'pigeon_frames');
  assert.equal(prop(args, 'identity', 'silent'), 'false');

  const custom = buildPipeline({
    ...BASE,
    source: 'hailo',
    postProcess: '/opt/my_post.so',
    networkSize: { width: 320, height: 320 },
    hailoConfig: '/home/pi/labels.json',
    hailoFunction: 'yolov5',
  }).args;
  assert.equal(prop(custom, 'hailofilter', 'so-path'), '/opt/my_post.so');
  assert.equal(prop(custom, 'hailofilter', 'config-path'), '/home/pi/labels.json');
  assert.equal(prop(custom, 'hailofilter', 'function-name'), 'yolov5');
  assert.ok(custom.includes('video/x-raw,pixel-aspect-ratio=1/1,width=320,height=320'));

  const both = skeleton(buildPipeline({ ...BASE, source: 'hailo', overlay: 'both' }).args);
  assert.ok(both.includes('pigeon_hailoagg. ! queue ! hailooverlay ! hailoexportzmq ! identity ! videoconvert'), both);
  const picture = buildPipeline({ ...BASE, source: 'hailo', overlay: 'picture', exportAddress: undefined });
  assert.ok(skeleton(picture.args).includes('pigeon_hailoagg. ! queue ! hailooverlay ! videoconvert'), 'picture only: burnt in, nothing exported');
  assert.ok(!picture.args.includes('hailoexportzmq') && !picture.args.includes('-v'));
  assert.equal(picture.frameTap, undefined);
});

test('shm: the app\'s frames with its caps, stamped as they arrive, and the frame tap', () => {
  const spec = buildPipeline({ ...BASE, source: 'shm', shm: { socketPath: '/run/user/1000/pigeon.shm', format: 'BGR' } });
  assert.equal(prop(spec.args, 'shmsrc', 'socket-path'), '/run/user/1000/pigeon.shm');
  assert.equal(prop(spec.args, 'shmsrc', 'is-live'), 'true');
  assert.equal(prop(spec.args, 'shmsrc', 'do-timestamp'), 'true');
  assert.ok(spec.args.includes('video/x-raw,format=BGR,width=1280,height=720,framerate=30/1'));
  assert.equal(spec.frameTap, true);
  assert.ok(buildPipeline({ ...BASE, source: 'shm' }).args.includes('video/x-raw,format=RGB,width=1280,height=720,framerate=30/1'), 'RGB, as hailo-apps');
});

test('elements: every element once, with the package that provides it', () => {
  const packages = (options: Partial<PipelineOptions>): Record<string, string> =>
    Object.fromEntries(buildPipeline({ ...BASE, ...options }).elements.map((e) => [e.name, e.debianPackage]));
  const common = {
    rtpbin: 'gstreamer1.0-plugins-good',
    videoconvert: 'gstreamer1.0-plugins-base',
    videoscale: 'gstreamer1.0-plugins-base',
    queue: 'libgstreamer1.0-0',
    udpsink: 'gstreamer1.0-plugins-good',
    udpsrc: 'gstreamer1.0-plugins-good',
  };
  assert.deepEqual(packages({}), {
    ...common,
    videotestsrc: 'gstreamer1.0-plugins-base',
    x264enc: 'gstreamer1.0-plugins-ugly',
    rtph264pay: 'gstreamer1.0-plugins-good',
  });
  assert.deepEqual(packages({ source: 'libcamera', encoder: 'vp8' }), {
    ...common,
    libcamerasrc: 'gstreamer1.0-libcamera',
    vp8enc: 'gstreamer1.0-plugins-good',
    rtpvp8pay: 'gstreamer1.0-plugins-good',
  });
  assert.deepEqual(packages({ source: 'v4l2', encoder: 'v4l2h264' }), {
    ...common,
    v4l2src: 'gstreamer1.0-plugins-good',
    videorate: 'gstreamer1.0-plugins-base',
    v4l2h264enc: 'gstreamer1.0-plugins-good',
    rtph264pay: 'gstreamer1.0-plugins-good',
  });
  assert.deepEqual(packages({ source: 'hailo', overlay: 'both' }), {
    ...common,
    libcamerasrc: 'gstreamer1.0-libcamera',
    hailocropper: 'hailo-all',
    hailoaggregator: 'hailo-all',
    hailonet: 'hailo-all',
    hailofilter: 'hailo-all',
    hailooverlay: 'hailo-all',
    hailoexportzmq: 'hailo-all',
    identity: 'libgstreamer1.0-0',
    x264enc: 'gstreamer1.0-plugins-ugly',
    rtph264pay: 'gstreamer1.0-plugins-good',
  });
  // A custom fragment's own elements are checked too; unknown ones have no package to suggest.
  assert.deepEqual(packages({ source: 'custom', custom: 'myvendorsrc serial="A 1" ! videoflip method=clockwise' }), {
    ...common,
    myvendorsrc: '',
    videoflip: 'gstreamer1.0-plugins-good',
    videorate: 'gstreamer1.0-plugins-base',
    x264enc: 'gstreamer1.0-plugins-ugly',
    rtph264pay: 'gstreamer1.0-plugins-good',
  });
});

test('custom fragments split at spaces outside double quotes, which gst-launch reads itself', () => {
  assert.deepEqual(splitFragment('  v4l2src device=/dev/video2\t!  videoconvert '), ['v4l2src', 'device=/dev/video2', '!', 'videoconvert']);
  assert.deepEqual(splitFragment('filesrc location="/media/my clip.mp4" ! decodebin'), ['filesrc', 'location="/media/my clip.mp4"', '!', 'decodebin']);
  assert.deepEqual(splitFragment('textoverlay text=a\\ b'), ['textoverlay', 'text=a\\ b']);
});

test('commandLine quotes only what a shell would misread', () => {
  assert.equal(commandLine(['videotestsrc', '!', 'video/x-h264,level=(string)4', "it's"]), "gst-launch-1.0 videotestsrc ! 'video/x-h264,level=(string)4' 'it'\\''s'");
});

test('bad options are E_GST_OPTIONS errors that say what to change', () => {
  const code = (options: Partial<PipelineOptions>): string => {
    try {
      buildPipeline({ ...BASE, ...options });
      return 'no error';
    } catch (error) {
      assert.ok(isPipelineError(error), String(error));
      assert.ok(error.message.length > 15, error.message);
      return error.code;
    }
  };
  assert.equal(code({}), 'no error');
  for (const bad of [
    { source: 'custom', custom: '' },
    { source: 'custom', custom: '   ' },
    { source: 'custom', custom: undefined },
    { source: 'custom', custom: 'videotestsrc !' },
    { source: 'custom', custom: 'videotestsrc name="unclosed' },
    { source: 'custom', custom: 'videotestsrc ! pigeon_rtp.send_rtp_sink_0' },
    { source: 'hailo', hef: undefined },
    { source: 'hailo', hef: ' ' },
    { source: 'hailo', exportAddress: undefined },
    { source: 'hailo', overlay: 'sideways' as 'page' },
    { source: 'shm', shm: undefined },
    { source: 'shm', shm: { socketPath: ' ' } },
    { source: 'v4l2', device: '' },
    { width: 641 },
    { height: 0 },
    { fps: 0 },
    { fps: 29.97 },
    { bitrate: 0 },
    { keyframeInterval: 0 },
    { keyframeInterval: Number.NaN },
    { rtpPort: 0 },
    { rtcpPort: 70000 },
    { rtcpInPort: -1 },
    { payloadType: 200 },
    { ssrc: 2 ** 32 },
  ] as Partial<PipelineOptions>[]) {
    assert.equal(code(bad), 'E_GST_OPTIONS', JSON.stringify(bad));
  }
});

test('scan: a tee after the raw caps feeds small GRAY8 frames to fd 3, leaky so video never waits', () => {
  const args = buildPipeline({ ...BASE, scan: { width: 640, height: 360, fps: 4 } }).args;
  const text = args.join(' ');
  assert.match(text, /format=I420,width=1280,height=720,framerate=30\/1 ! tee name=pigeon_scan ! queue/);
  assert.match(
    text,
    /pigeon_scan\. ! queue leaky=downstream max-size-buffers=1 .*! videorate drop-only=true ! videoscale ! videoconvert ! video\/x-raw,format=GRAY8,width=640,height=360,framerate=4\/1 ! fdsink fd=3 sync=false async=false/,
  );
  assert.deepEqual(buildPipeline({ ...BASE, scan: { width: 640, height: 360, fps: 4 } }).scan, { width: 640, height: 360, fps: 4 });
  assert.equal(buildPipeline(BASE).scan, undefined);
  assert.throws(() => buildPipeline({ ...BASE, scan: { width: 630, height: 360, fps: 4 } }), /scan width must be a multiple of 8/);
});

test('stdin source (the latency frames): GRAY8 frames of the output size from fd 0, announced as input', () => {
  const spec = buildPipeline({ ...BASE, source: 'stdin' });
  assert.match(spec.args.join(' '), /^rtpbin name=pigeon_rtp fdsrc fd=0 do-timestamp=true ! rawvideoparse width=1280 height=720 format=gray8 framerate=30\/1 ! /);
  assert.deepEqual(spec.input, { width: 1280, height: 720 });
  assert.equal(buildPipeline(BASE).input, undefined);
});
