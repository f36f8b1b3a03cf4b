export * from './mesh-harness.js';
