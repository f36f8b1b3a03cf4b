/**
 * How one attempt at an upstream ended, as the retry policy and outlier detection read it.
 * `timeout` is a per-try timeout; `reset` a stream or connection reset after the request was sent
 * (`beforeRequest` when nothing reached the upstream yet).
 */
export type UpstreamOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly grpcStatus?: number }
  | { readonly kind: 'connect-failure' | 'refused-stream' | 'timeout' }
  | { readonly kind: 'reset'; readonly beforeRequest?: boolean };
