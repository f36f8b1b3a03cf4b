/*
 * The mesh the benches build: service i is `svc-i` with two workloads (v1 on 10.0.x.y, v2 on
 * 10.1.x.y), a DestinationRule with subsets v1/v2 and a VirtualService splitting between them.
 */

/** How the service is reached: over HTTP (KV snapshots) or gRPC (xDS clients, which need named workload ports). */
export type CanaryProtocol = 'http' | 'grpc';

/** The VirtualService of service i: `weight` percent to v2, the rest to v1. */
export const canaryRouteYaml = (i: number, weight: number): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: svc-${i}}
spec:
  hosts: [svc-${i}]
  http:
  - route:
    - {destination: {host: svc-${i}, subset: v1}, weight: ${100 - weight}}
    - {destination: {host: svc-${i}, subset: v2}, weight: ${weight}}
`;

const workloadAddress = (net: number, i: number): string => `10.${net}.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/** Every resource of service i, its route at `weight` percent to v2. */
export const canaryServiceYaml = (i: number, weight: number, protocol: CanaryProtocol): string => {
  const ports = protocol === 'grpc' ? ', ports: {grpc: 8080}' : '';
  const workload = (version: 'v1' | 'v2', net: number): string => `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: svc-${i}-${version}}
spec: {address: ${workloadAddress(net, i)}${ports}, labels: {app: svc-${i}, version: ${version}}}
`;
  const placement = protocol === 'http' ? '\n  location: MESH_INTERNAL\n  resolution: STATIC' : '';
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: svc-${i}}
spec:
  hosts: [svc-${i}]${placement}
  ports: [{number: 8080, name: ${protocol}}]
  workloadSelector: {labels: {app: svc-${i}}}
---
${workload('v1', 0)}---
${workload('v2', 1)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc-${i}}
spec: {host: svc-${i}, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
---
${canaryRouteYaml(i, weight)}`;
};
