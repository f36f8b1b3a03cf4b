import type { LoadBalancerSettings, RouteRule, RoutingSnapshot, WeightedDestination } from '@jetmesh/model';
import type { RequestAttributes } from '../routing/index.js';
import type { RetryPlan } from './upstream-forwarder.js';

/** The request as routing decisions see it (the routing core's attributes, headers as a record). */
export interface RequestView extends RequestAttributes {
  /** Host as addressed, without the port. */
  readonly host: string;
  /** Lowercased names; repeated headers joined with ','. */
  readonly headers: Readonly<Record<string, string>>;
  readonly sourceIp: string;
}

export interface FaultDecision {
  readonly delayMs?: number;
  readonly abort?: { readonly status: number } | { readonly grpcStatus: number };
}

export interface RewriteResult {
  readonly path: string;
  readonly authority: string;
}

/**
 * Everything the outbound pipeline asks of the routing core (services/proxy/src/routing):
 * pure functions of the snapshot and the request, with randomness passed in.
 */
export interface RouteDecisions {
  selectRoute(snapshot: Pick<RoutingSnapshot, 'routes'>, req: RequestView): RouteRule | undefined;
  pickDestination(route: RouteRule, random01: number): WeightedDestination | undefined;
  fault(route: RouteRule, random: () => number): FaultDecision;
  redirect(route: RouteRule, req: RequestView): { readonly status: number; readonly location: string } | undefined;
  rewrite(route: RouteRule, req: RequestView): RewriteResult;
  corsPreflight(route: RouteRule, req: RequestView): { readonly status: number; readonly headers: Readonly<Record<string, string>> } | undefined;
  corsResponseHeaders(route: RouteRule, req: RequestView): Readonly<Record<string, string>>;
  requestHeaders(route: RouteRule, destination: WeightedDestination, headers: Record<string, string | string[]>): void;
  responseHeaders(route: RouteRule, destination: WeightedDestination, headers: Record<string, string | string[] | number>): void;
  retryPlan(route: RouteRule): RetryPlan;
  hashKey(lb: LoadBalancerSettings | undefined, req: RequestView): { readonly key?: string; readonly setCookie?: string };
  mirrors(route: RouteRule, random: () => number): readonly WeightedDestination[];
}
