export { replayToPoints, describeReplayed } from './log-replay.js';
export type { PastEndOfLog, ReplayedPoint, ReplayOptions } from './log-replay.js';
export { historyLines } from './history-log.js';
export type { HistoryLine } from './history-log.js';
export { createProgress, quietProgress } from './progress.js';
export type { Progress, ProgressOptions } from './progress.js';
export { gatherTopShares } from './top-shares.js';
export type { GatheredTopShares } from './top-shares.js';
