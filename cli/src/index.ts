// The CLI's replay, for tools that measure it (test/bench); the commands themselves run through main.ts.
export { replayToPoints, describeReplayed } from './replay/log-replay.js';
export type { ReplayedPoint, ReplayOptions } from './replay/log-replay.js';
