import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_MESSAGE_CHARS, ProtocolError, encodeMessage, parseAgentMessage, parseViewerMessage, type AgentMessage, type ViewerMessage } from '../../src/signal/index.ts';

const code = (run: () => unknown): string => {
  try {
    run();
    return 'no error';
  } catch (error) {
    assert.ok(error instanceof ProtocolError, String(error));
    return error.code;
  }
};

test('every message type round-trips through encode and parse', () => {
  const settings = { width: 640, height: 480, fps: 30, bitrate: 2000 };
  const agent: AgentMessage[] = [
    { v: 1, type: 'hello', agent: 'pi-agent', viewer: 7, settings, limits: { minBitrate: 200, maxBitrate: 4000, maxWidth: 1280, maxHeight: 720, maxFps: 30 } },
    { v: 1, type: 'telemetry', fps: 30, kbps: 1987, viewers: 2, cpu: 4.2, tempC: 51.5 },
    { v: 1, type: 'detections', boxes: [{ label: 'person', confidence: 0.91, x: 0.1, y: 0.2, w: 0.3, h: 0.5 }], rtpTimestamp: 123456, time: 1795474891287 },
    { v: 1, type: 'settings', settings, by: 7 },
    { v: 1, type: 'signal', blob: 'pigeon:qQAB' },
    { v: 1, type: 'error', code: 'E_MSG_MALFORMED', message: 'message "set" has a bad "bitrate"' },
    { v: 1, type: 'bye', reason: 'the Pi agent was stopped' },
  ];
  for (const message of agent) assert.deepEqual(parseAgentMessage(encodeMessage(message)), message);
  const viewer: ViewerMessage[] = [
    { v: 1, type: 'keyframe' },
    { v: 1, type: 'set', bitrate: 800 },
    { v: 1, type: 'signal', blob: 'pigeon:qQAB' },
    { v: 1, type: 'bye', reason: 'the page was closed' },
  ];
  for (const message of viewer) assert.deepEqual(parseViewerMessage(encodeMessage(message)), message);
});

test('an unknown type from a newer peer is kept as unknown, not refused', () => {
  assert.deepEqual(parseViewerMessage('{"v":1,"type":"zoom","level":2}'), { v: 1, type: 'unknown', name: 'zoom' });
  assert.deepEqual(parseAgentMessage('{"v":1,"type":"toString"}'), { v: 1, type: 'unknown', name: 'toString' });
});

test('malformed, oversize and newer-version messages are refused with their code', () => {
  assert.equal(code(() => parseViewerMessage('hello')), 'E_MSG_NOT_JSON');
  assert.equal(code(() => parseViewerMessage('[1,2]')), 'E_MSG_MALFORMED');
  assert.equal(code(() => parseViewerMessage('{"type":"keyframe"}')), 'E_MSG_MALFORMED');
  assert.equal(code(() => parseViewerMessage('{"v":1}')), 'E_MSG_MALFORMED');
  assert.equal(code(() => parseViewerMessage('{"v":2,"type":"keyframe"}')), 'E_MSG_VERSION');
  assert.equal(code(() => parseViewerMessage(JSON.stringify({ v: 1, type: 'bye', reason: 'x'.repeat(201) }))), 'E_MSG_MALFORMED');
  assert.equal(code(() => parseViewerMessage('{"v":1,"type":"set","bitrate":"fast"}')), 'E_MSG_MALFORMED');
  assert.equal(code(() => parseAgentMessage('{"v":1,"type":"detections","boxes":[{"label":"cat","confidence":2,"x":0,"y":0,"w":1,"h":1}]}')), 'E_MSG_MALFORMED');
  assert.equal(code(() => parseViewerMessage(`{"v":1,"type":"signal","blob":"${'a'.repeat(MAX_MESSAGE_CHARS)}"}`)), 'E_MSG_TOO_LARGE');
  assert.equal(code(() => encodeMessage({ v: 1, type: 'signal', blob: 'a'.repeat(MAX_MESSAGE_CHARS) })), 'E_MSG_TOO_LARGE');
});
