// Preloaded into an agent (NODE_OPTIONS=--import=…) by tests that measure how long its event loop
// was held up: four times a second, the longest delay of a 5 ms timer since the line before, on
// stderr as `loop-delay <epoch ms> <ms>`. A machine that deschedules the agent shows here too.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setInterval } from 'node:timers';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
setInterval(() => {
  process.stderr.write(`loop-delay ${Date.now()} ${(histogram.max / 1e6).toFixed(1)}\n`);
  histogram.reset();
}, 250).unref();

// On SIGUSR2, a full garbage collection, then what is still alive (V8 heap and the Buffers outside
// it) as `live-memory <epoch ms> <bytes>`: what the agent holds, without the garbage RSS also counts.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
process.on('SIGUSR2', () => {
  gc();
  const { heapUsed, external } = process.memoryUsage();
  process.stderr.write(`live-memory ${Date.now()} ${heapUsed + external}\n`);
});
