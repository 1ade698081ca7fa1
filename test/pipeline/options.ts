import type { PipelineOptions } from '../../pi-agent/src/gst/pipeline-spec.ts';

/** The agent's defaults at 640×480@30 with a 10 s keyframe interval; tests override what they test. */
export const TEST_OPTIONS: PipelineOptions = {
  source: 'test',
  encoder: 'x264',
  width: 640,
  height: 480,
  fps: 30,
  bitrate: 2000,
  keyframeInterval: 10,
  rtpPort: 40000,
  rtcpPort: 40001,
  rtcpInPort: 40002,
  hef: '/usr/share/hailo-models/yolov8s_h8l.hef',
  exportAddress: 'ipc:///tmp/pigeon-test.zmq',
};
