import { fileURLToPath } from 'node:url';

/** The monorepo root: this file runs as cli/dist/src/up/repo-root.js. */
export const repoRoot: string = fileURLToPath(new URL('../../../../', import.meta.url));
