// The CLI's replay, for tools that measure it (test/bench); the commands themselves run through main.ts.
export { replayToPoints } from './replay/log-replay.js';
export { describeReplayed } from '@jetmesh/replay';
export type { ReplayedPoint, ReplayOptions } from '@jetmesh/replay';
