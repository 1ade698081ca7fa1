import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { codecParameters } from '../../pi-agent/src/webrtc/werift-codecs.ts';
import { encoder } from '../../pi-agent/src/gst/pipeline-spec.ts';

/*
 * iOS Safari decodes what the SDP promised: the agent offers H.264 profile-level-id 42e01f
 * (constrained baseline, level 3.1), so the x264 encoder's own sequence parameter set must say
 * profile 66 with constraint_set1 (what makes baseline "constrained") at level 3.1 or below.
 */
function firstSps(stream: Buffer): Buffer {
  for (let i = 0; i + 4 < stream.length; i++) {
    const start = stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1;
    if (start && (stream[i + 3]! & 0x1f) === 7) return stream.subarray(i + 4, i + 8);
  }
  throw new Error('no SPS in the encoded stream');
}

test('the offer promises constrained baseline 3.1, and x264 sends exactly that profile within that level', () => {
  const fmtp = codecParameters('H264').parameters ?? '';
  const promised = /profile-level-id=([0-9a-f]{6})/i.exec(fmtp)?.[1] ?? '';
  assert.equal(promised.toLowerCase(), '42e01f');
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-h264-'));
  for (const [width, height] of [
    [640, 480],
    [1280, 720],
  ] as const) {
    const tokens = encoder({ encoder: 'x264', fps: 30, bitrate: 2000, keyframeInterval: 2 }).tokens;
    const withoutPay = tokens.slice(0, tokens.lastIndexOf('!'));
    const file = join(dir, `${width}.h264`);
    execFileSync(
      'gst-launch-1.0',
      ['-q', 'videotestsrc', 'num-buffers=5', '!', `video/x-raw,width=${width},height=${height},framerate=30/1`, '!', ...withoutPay, '!', 'h264parse', '!', 'video/x-h264,stream-format=byte-stream', '!', 'filesink', `location=${file}`],
      { stdio: 'pipe', timeout: 120_000 },
    );
    const [profile, constraints, level] = firstSps(readFileSync(file));
    assert.equal(profile, 0x42, `${width}×${height}: profile_idc 66 (baseline)`);
    assert.ok((constraints! & 0x40) !== 0, `${width}×${height}: constraint_set1, i.e. constrained baseline (flags 0x${constraints!.toString(16)})`);
    assert.ok(level! <= 0x1f, `${width}×${height}: level ${level! / 10} within the promised 3.1`);
  }
});
