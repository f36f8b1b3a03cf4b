export { CONSOLE_URL_PATH, ConsoleEnv } from './env.js';
export type { ConsoleConfig } from './env.js';
export { buildTopology } from './topology.js';
export type { Topology, TopologyEdge, TopologyNode, Traffic } from './topology.js';
