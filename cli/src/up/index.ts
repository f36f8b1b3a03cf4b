export { runUp } from './run-up.js';
export type { UpOptions } from './run-up.js';
export { meshServices } from './service-table.js';
export type { ServiceSpec } from './service-table.js';
export { defaultRestartPolicy } from './restart-policy.js';
export type { RestartPolicy } from './restart-policy.js';
