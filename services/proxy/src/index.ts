export { ProxyEnv, proxyConfigProblems } from './env.js';
export type { ProxyConfig } from './env.js';
export { startProxy, ownWorkloadEntry } from './proxy.js';
export type { Proxy } from './proxy.js';
