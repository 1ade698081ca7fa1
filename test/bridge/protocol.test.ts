import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '../../src/bridge-wire/errors.ts';
import { encodeBridgeJson, parseBridgeMessage, parsePageRequest, type BridgeMessage, type PageRequest } from '../../src/bridge-wire/protocol.ts';

test('every page request and bridge message round-trips through its parser', () => {
  const requests: PageRequest[] = [
    { v: 1, type: 'accept', offer: 'pigeon:abc', codecs: ['VP8', 'H264'] },
    { v: 1, type: 'accept', offer: 'pigeon:abc' },
    { v: 1, type: 'offer', codecs: ['H264'] },
    { v: 1, type: 'offer' },
    { v: 1, type: 'answer', sdp: 'v=0\r\n' },
    { v: 1, type: 'attach', viewer: 3, token: 'tok' },
    { v: 1, type: 'keyframe' },
    { v: 1, type: 'send', text: '{"v":1,"type":"keyframe"}' },
    { v: 1, type: 'close', reason: 'done' },
  ];
  for (const request of requests) assert.deepEqual(parsePageRequest(encodeBridgeJson(request)), request);
  const messages: BridgeMessage[] = [
    { v: 1, type: 'hello', bridge: '0.1.0' },
    { v: 1, type: 'answer', viewer: 1, token: 't', offerId: 12, codec: 'H264', text: 'pigeon:x', bytes: [1, 2, 255] },
    { v: 1, type: 'answer', viewer: 1, token: 't', offerId: null, codec: 'VP8', text: 'pigeon:x', bytes: [] },
    { v: 1, type: 'offer', viewer: 2, token: 't', sdp: 'v=0\r\n' },
    { v: 1, type: 'status', viewer: 1, state: 'waiting' },
    { v: 1, type: 'status', viewer: 2, state: 'connecting' },
    { v: 1, type: 'status', viewer: 1, state: 'closed', code: 'E_AGENT_BYE', reason: 'the Pi stopped the video: shutting down' },
    { v: 1, type: 'message', text: '{}' },
    { v: 1, type: 'error', code: 'E_NO_VIEWER', message: 'nothing yet' },
  ];
  for (const message of messages) assert.deepEqual(parseBridgeMessage(encodeBridgeJson(message)), message);
});

test('bad requests are refused with the code and the field that is wrong', () => {
  const cases: [string, string, RegExp][] = [
    ['{', 'E_BRIDGE_NOT_JSON', /not JSON/],
    ['"accept"', 'E_BRIDGE_MALFORMED', /not a JSON object/],
    ['{"v":1}', 'E_BRIDGE_MALFORMED', /no "type"/],
    ['{"type":"keyframe"}', 'E_BRIDGE_MALFORMED', /no protocol version/],
    ['{"v":2,"type":"keyframe"}', 'E_BRIDGE_VERSION', /version 2; this side speaks 1/],
    ['{"v":1,"type":"reboot"}', 'E_BRIDGE_MALFORMED', /unknown type "reboot"/],
    ['{"v":1,"type":"accept","offer":"x","codecs":["H265"]}', 'E_BRIDGE_MALFORMED', /bad "codecs"/],
    ['{"v":1,"type":"attach","viewer":0,"token":"t"}', 'E_BRIDGE_MALFORMED', /bad "viewer"/],
    [JSON.stringify({ v: 1, type: 'send', text: 'x'.repeat(17_000) }), 'E_BRIDGE_MALFORMED', /bad "text"/],
    ['{"v":1,"type":"offer","codecs":[]}', 'E_BRIDGE_MALFORMED', /bad "codecs"/],
    ['{"v":1,"type":"answer"}', 'E_BRIDGE_MALFORMED', /bad "sdp"/],
    [JSON.stringify({ v: 1, type: 'answer', sdp: 'x'.repeat(17_000) }), 'E_BRIDGE_MALFORMED', /bad "sdp"/],
    ['x'.repeat(30_000), 'E_BRIDGE_TOO_LARGE', /at most 20480/],
  ];
  for (const [text, code, message] of cases) {
    assert.throws(() => parsePageRequest(text), (error: unknown) => error instanceof BridgeError && error.code === code && message.test(error.message), text.slice(0, 60));
  }
  assert.throws(() => parseBridgeMessage('{"v":1,"type":"status","viewer":1,"state":"dancing"}'), /bad "state"/);
});
