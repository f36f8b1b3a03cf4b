import type { Endpoint } from '@jetmesh/model';
import type { OutgoingContext } from '../tracing/trace-context.js';

/** What the data plane saw of one request it carried: the input to telemetry, stats and the access log. */
export interface ServedRequest {
  readonly direction: 'outbound' | 'inbound' | 'gateway';
  /** performance.now() at arrival. */
  readonly started: number;
  readonly durationMs: number;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly protocol: 'http1' | 'http2' | 'grpc';
  readonly status: number;
  readonly grpcStatus?: number;
  readonly flags: readonly string[];
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** The destination service host (fqdn), when routing found one. */
  readonly service?: string;
  readonly cluster?: string;
  readonly routeName?: string;
  readonly upstream?: string;
  readonly destinationEndpoint?: Endpoint;
  /** Whether the hop this proxy handled to or from a peer was mutual TLS. */
  readonly mtls: boolean;
  /** Inbound: the caller's SPIFFE ID and metadata. */
  readonly peerSpiffeId?: string;
  readonly peer?: { readonly workload: string; readonly namespace: string; readonly app?: string; readonly version?: string; readonly canonicalService?: string };
  readonly requestId?: string;
  readonly userAgent?: string;
  /** This hop's span context (sampled or not), when tracing saw the request. */
  readonly trace?: OutgoingContext;
}
