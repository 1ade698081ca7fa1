// PIGEON_ENGINE picks the agent's WebRTC engine once at start: werift unless told otherwise, a
// name that is neither refused with E_CONFIG (a typo must not silently run the other engine).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPigeonError } from '../../src/signal/index.ts';
import { DEFAULT_ENGINE, chooseEngine } from '../../pi-agent/src/webrtc/engine-choice.ts';

test('PIGEON_ENGINE: unset or empty is the default, each name its engine, anything else E_CONFIG', async () => {
  assert.equal(DEFAULT_ENGINE, 'werift');
  assert.equal((await chooseEngine({})).name, DEFAULT_ENGINE);
  assert.equal((await chooseEngine({ PIGEON_ENGINE: '' })).name, DEFAULT_ENGINE);
  assert.equal((await chooseEngine({ PIGEON_ENGINE: 'werift' })).name, 'werift');
  assert.equal((await chooseEngine({ PIGEON_ENGINE: 'libdatachannel' })).name, 'libdatachannel');
  await assert.rejects(chooseEngine({ PIGEON_ENGINE: 'libdatachanel' }), (error: unknown) => isPigeonError(error) && error.code === 'E_CONFIG' && /libdatachanel/.test(error.message));
});
