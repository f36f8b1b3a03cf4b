import { fqdn } from '../hostname.js';
import { refOf, type VirtualService } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';

/** One place a VirtualService sends (or mirrors) traffic, with the path users see. */
export interface RouteTarget {
  readonly path: string;
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
  /** Mirrors copy traffic; only real routes must pick a port. */
  readonly mirror: boolean;
}

export const routeTargets = (vs: VirtualService): RouteTarget[] => {
  const out: RouteTarget[] = [];
  const add = (path: string, d: { host: string; subset?: string; port?: { number: number } }, mirror = false): void => {
    out.push({ path, host: d.host, ...(d.subset !== undefined ? { subset: d.subset } : {}), ...(d.port !== undefined ? { port: d.port.number } : {}), mirror });
  };
  vs.spec.http?.forEach((r, i) => {
    r.route?.forEach((d, j) => add(`spec.http[${i}].route[${j}].destination`, d.destination));
    if (r.mirror !== undefined) add(`spec.http[${i}].mirror`, r.mirror, true);
    r.mirrors?.forEach((m, j) => add(`spec.http[${i}].mirrors[${j}].destination`, m.destination, true));
  });
  vs.spec.tcp?.forEach((r, i) => r.route.forEach((d, j) => add(`spec.tcp[${i}].route[${j}].destination`, d.destination)));
  vs.spec.tls?.forEach((r, i) => r.route.forEach((d, j) => add(`spec.tls[${i}].route[${j}].destination`, d.destination)));
  return out;
};

/**
 * What a VirtualService refers to must exist: destination hosts (IST0101), subsets in the
 * host's DestinationRule (IST0101), gateways (IST0101; IST0165 for the Gateways Istio generates
 * from Gateway API ones, which routes must not name); and a destination to a service with
 * several ports must name one (IST0112) that the service declares (IST0101, host:port).
 */
export const analyzeRouteReferences = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  for (const vs of view.focused('VirtualService')) {
    const ref = refOf(vs);
    const ns = vs.metadata.namespace;
    for (const target of routeTargets(vs)) {
      const host = fqdn(target.host, ns);
      const service = host.includes('*')
        ? [...view.serviceClaims.keys()].some((h) => h === host || h.endsWith(host.slice(1)))
          ? { wildcard: true as const }
          : undefined
        : view.serviceSeenFrom(host, { namespace: ns, ...(vs.spec.exportTo !== undefined ? { exportTo: vs.spec.exportTo } : {}) });
      if (service === undefined) out.push(diagnostic('ReferencedResourceNotFound', ref, `${target.path}.host`, `Referenced host not found: "${target.host}"`));
      if (target.subset !== undefined) {
        const rules = view.ruleClaims.get(host) ?? [];
        if (!rules.some((dr) => (dr.spec.subsets ?? []).some((s) => s.name === target.subset))) {
          out.push(diagnostic('ReferencedResourceNotFound', ref, `${target.path}.subset`, `Referenced host+subset in destinationrule not found: "${target.host}+${target.subset}"`));
        }
      }
      if (service === undefined || 'wildcard' in service) continue;
      if (target.port === undefined && !target.mirror && service.ports.length > 1) {
        out.push(
          diagnostic(
            'VirtualServiceDestinationPortSelectorRequired',
            ref,
            target.path,
            `This VirtualService routes to a service "${target.host}" that exposes multiple ports [${service.ports.map((p) => p.number).join(' ')}]. Specifying a port in the destination is required to disambiguate.`,
          ),
        );
      }
      if (target.port !== undefined && service.ports.length > 0 && !service.ports.some((p) => p.number === target.port)) {
        out.push(
          diagnostic('ReferencedResourceNotFound', ref, `${target.path}.port.number`, `Referenced host:port not found: "${target.host}:${target.port}"`),
        );
      }
    }
    const gateways = new Map<string, string>();
    vs.spec.gateways?.forEach((g, i) => gateways.set(g, `spec.gateways[${i}]`));
    vs.spec.http?.forEach((r, i) => r.match?.forEach((m, j) => m.gateways?.forEach((g, k) => gateways.has(g) || gateways.set(g, `spec.http[${i}].match[${j}].gateways[${k}]`))));
    for (const [g, path] of gateways) {
      if (g === 'mesh') continue;
      if (isInternalGatewayName(g)) {
        out.push(diagnostic('ReferencedInternalGateway', ref, path, `Gateway reference in VirtualService ${ns}/${vs.metadata.name} is to an implementation-generated internal Gateway: ${g}.`));
        continue;
      }
      const gw = gatewayRef(g, ns);
      if (!view.has({ kind: 'Gateway', namespace: gw.namespace, name: gw.name }) && !view.hasGatewayApiGateway(gw.namespace, gw.name)) {
        out.push(diagnostic('ReferencedResourceNotFound', ref, path, `Referenced gateway not found: "${g}"`));
      }
    }
  }
  return out;
};

/** `ns/name`, a bare name in the route's namespace, or the legacy `name.ns.svc.cluster.local`. */
export const gatewayRef = (g: string, namespace: string): { namespace: string; name: string } => {
  const slash = g.indexOf('/');
  if (slash >= 0) return { namespace: g.slice(0, slash), name: g.slice(slash + 1) };
  const [name = g, ns] = g.split('.');
  return { namespace: ns ?? namespace, name };
};

/** Istio names the Gateway it generates for a Gateway API listener `<gateway>~istio-autogenerated-k8s-gateway~<listener>`. */
const isInternalGatewayName = (g: string): boolean => g.slice(g.indexOf('/') + 1).includes('~istio-autogenerated-k8s-gateway~');
