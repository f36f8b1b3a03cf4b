import type { Endpoint, WeightedDestination } from '@jetmesh/model';
import type { EndpointDial } from './cluster-registry.js';
import { H2SessionPool, type H2Target } from './h2-session-pool.js';
import { Http1Upstream } from './http1-upstream.js';
import { MeshHeaders } from './mesh-headers.js';
import { meshEndpointOf, type MeshEndpoint } from './mesh-endpoint.js';
import type { MeshTls } from './mesh-tls.js';
import { failed } from './upstream.js';

export interface EndpointDialer {
  readonly dial: EndpointDial;
  /** Peer sessions open now. */
  meshSessions(): number;
  /** After a certificate renewal: new requests open sessions with the new certificate. */
  rotate(): void;
  close(): void;
}

interface PeerTarget {
  readonly target: H2Target;
  /** What the peer's inbound needs besides the request's own headers: the port the caller addressed. */
  readonly headers: Readonly<Record<string, string>>;
}

const peerTarget = (meshTls: MeshTls, mesh: MeshEndpoint, port: number): PeerTarget => {
  const expected = { ...(mesh.namespace !== undefined ? { namespace: mesh.namespace } : {}), ...(mesh.serviceAccount !== undefined ? { serviceAccount: mesh.serviceAccount } : {}) };
  const key = `${mesh.address}:${mesh.inboundPort}`;
  return {
    target: { key, authority: key, scheme: 'https', connect: () => meshTls.connect(mesh.address, mesh.inboundPort, expected) },
    headers: { [MeshHeaders.targetPort]: String(port) },
  };
};

/**
 * How an endpoint is reached: a mesh endpoint (it has a proxy) over one HTTP/2 mTLS session
 * to its inbound port; any other over HTTP/1.1 keep-alive, with TLS where the
 * DestinationRule originates it (`tls.mode: SIMPLE`).
 */
export function createEndpointDialer(meshTls: MeshTls, opts: { connectTimeoutMs: number; onConnect?: (ok: boolean) => void }): EndpointDialer {
  const peers = new H2SessionPool(opts.connectTimeoutMs, opts.onConnect);
  const plain = new Http1Upstream(opts.connectTimeoutMs, opts.onConnect);
  // A snapshot's endpoints are immutable values: what reaching each takes is worked out once.
  const peerTargets = new WeakMap<Endpoint, PeerTarget | null>();
  const peerTargetOf = (endpoint: Endpoint): PeerTarget | null => {
    let t = peerTargets.get(endpoint);
    if (t === undefined) {
      const mesh = meshEndpointOf(endpoint);
      t = mesh === undefined ? null : peerTarget(meshTls, mesh, endpoint.port);
      peerTargets.set(endpoint, t);
    }
    return t;
  };
  const dial: EndpointDial = (destination: WeightedDestination, endpoint: Endpoint, req, signal) => {
    const peer = peerTargetOf(endpoint);
    if (peer !== null) {
      if (meshTls.current() === undefined) return Promise.resolve(failed('connect-failure', 'this proxy has no workload certificate yet'));
      return peers.send(peer.target, req, signal, peer.headers);
    }
    const tlsPolicy = destination.trafficPolicy?.tls;
    const originate = tlsPolicy?.mode === 'SIMPLE';
    return plain.send(
      {
        host: endpoint.address,
        port: endpoint.port,
        ...(originate
          ? {
              tls: {
                servername: tlsPolicy.sni ?? destination.host,
                rejectUnauthorized: tlsPolicy.insecureSkipVerify !== true,
              },
            }
          : {}),
      },
      req,
      signal,
    );
  };
  return {
    dial,
    meshSessions: () => peers.size(),
    rotate: () => peers.drainAll(),
    close: () => {
      peers.destroyAll();
      plain.destroy();
    },
  };
}
