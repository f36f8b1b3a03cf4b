/*
 * Defaults the command tree shows in --help. Here rather than in each command's module, so
 * building the tree loads none of those modules (and none of what they import).
 */

/** How long `proxy-status` gathers answers: every pilot replica and sidecar answers once. */
export const DEFAULT_PROXY_STATUS_WAIT_MS = 300;

/** How long `logs` without --follow listens (`5s`, `500ms`, `1m`). */
export const DEFAULT_LOGS_LISTEN = '5s';

/** How long `top` gathers answers: every telemetry replica answers once. */
export const DEFAULT_TOP_WAIT_MS = 300;
/** With --watch: between rounds. */
export const DEFAULT_TOP_INTERVAL_MS = 2_000;

/** How long `status` gathers answers: every replica of every service answers once. */
export const DEFAULT_STATUS_WAIT_MS = 500;
