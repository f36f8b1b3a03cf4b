import { fileURLToPath } from 'node:url';

/** Absolute path of the monorepo root: this file runs as shared/testing/dist/src/repo-root.js. */
export const repoRoot: string = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '');
