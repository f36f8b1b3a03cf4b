/**
 * Headers proxies exchange with each other, stripped before anything reaches an app:
 * the caller's workload metadata (Istio's metadata exchange, for telemetry labels; identity
 * itself comes from the mTLS certificate, never from a header), the service port the caller
 * addressed, and whether its app spoke HTTP/2.
 */
export const MeshHeaders = {
  peerMetadata: 'x-jetmesh-peer',
  targetPort: 'x-jetmesh-target-port',
  downstreamProtocol: 'x-jetmesh-downstream-protocol',
  /** Why a proxy answered instead of the upstream (Envoy's response flags). */
  flags: 'x-jetmesh-flags',
} as const;

const INTERNAL = new Set<string>([MeshHeaders.peerMetadata, MeshHeaders.targetPort, MeshHeaders.downstreamProtocol]);

/** Removes the proxies' own headers (an app may not forge them, nor see them). */
export function stripMeshHeaders(headers: Record<string, string | string[] | number | undefined>): void {
  for (const name of INTERNAL) delete headers[name];
}

/** What a proxy tells its peer about its workload (labels for telemetry, not for trust). */
export interface PeerMetadata {
  readonly workload: string;
  readonly namespace: string;
  readonly app?: string;
  readonly version?: string;
  readonly canonicalService?: string;
}

export const encodePeerMetadata = (m: PeerMetadata): string => Buffer.from(JSON.stringify(m)).toString('base64url');

export function decodePeerMetadata(value: string | string[] | undefined): PeerMetadata | undefined {
  if (typeof value !== 'string' || value.length > 4096) return undefined;
  try {
    const m = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<PeerMetadata>;
    if (typeof m.workload !== 'string' || typeof m.namespace !== 'string') return undefined;
    const opt = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const app = opt(m.app);
    const version = opt(m.version);
    const canonicalService = opt(m.canonicalService);
    return {
      workload: m.workload,
      namespace: m.namespace,
      ...(app !== undefined ? { app } : {}),
      ...(version !== undefined ? { version } : {}),
      ...(canonicalService !== undefined ? { canonicalService } : {}),
    };
  } catch {
    return undefined;
  }
}
