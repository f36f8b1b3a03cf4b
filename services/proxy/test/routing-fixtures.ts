import type { Endpoint, RouteRule, WeightedDestination } from '@jetmesh/model';
import type { RequestAttributes } from '../src/routing/index.js';

/** A request with sensible defaults; tests override only what they are about. */
export const request = (over: Partial<RequestAttributes> = {}): RequestAttributes => ({
  method: 'GET',
  path: '/',
  authority: 'reviews.default.svc.cluster.local',
  scheme: 'http',
  headers: {},
  port: 9080,
  ...over,
});

export const endpoint = (address: string, over: Partial<Endpoint> = {}): Endpoint => ({ address, port: 9080, labels: {}, workload: `default/${address}`, ...over });

export const destination = (subset: string, weight: number): WeightedDestination => ({
  host: 'reviews.default.svc.cluster.local',
  subset,
  weight,
  cluster: `outbound|9080|${subset}|reviews.default.svc.cluster.local`,
  endpoints: [],
});

export const route = (name: string, match: RouteRule['match'], extra: Partial<RouteRule> = {}): RouteRule => ({
  name,
  match,
  destinations: [destination(name, 100)],
  ...extra,
});
