// The check lives in the shared model: pilot runs it before publishing, proxies before applying.
export { checkSnapshot, checkWorkloadSnapshot, formatInconsistency, type SnapshotInconsistency } from '@jetmesh/model';
