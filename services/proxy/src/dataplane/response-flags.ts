/** Envoy's response flags: why a proxy answered the way it did (access log, `x-jetmesh-flags`, telemetry). */
export const ResponseFlags = {
  noRoute: 'NR',
  noHealthyUpstream: 'UH',
  upstreamConnectFailure: 'UF',
  upstreamRetryLimitExceeded: 'URX',
  upstreamRequestTimeout: 'UT',
  upstreamOverflow: 'UO',
  upstreamReset: 'UR',
  delayInjected: 'DI',
  faultInjected: 'FI',
  unauthorized: 'RBAC',
  downstreamConnectionTermination: 'DC',
  noClusterFound: 'NC',
} as const;

export type ResponseFlag = (typeof ResponseFlags)[keyof typeof ResponseFlags];

/** The flags field as Envoy prints it: comma-separated, `-` when none. */
export const formatFlags = (flags: readonly string[]): string => (flags.length === 0 ? '-' : flags.join(','));
