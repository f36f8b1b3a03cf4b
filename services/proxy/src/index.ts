export { ProxyEnv, proxyConfigProblems } from './env.js';
export type { ProxyConfig } from './env.js';
export { PROXY_STOP_TIMEOUT_MS, startProxy, ownWorkloadEntry } from './proxy.js';
export type { Proxy } from './proxy.js';
