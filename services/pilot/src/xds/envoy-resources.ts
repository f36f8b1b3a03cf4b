/*
 * The part of Envoy's v3 API that pilot emits, as plain objects in protobuf field names
 * (snake_case). Typed so a misspelt field fails to compile instead of vanishing on encode;
 * embedded `Any` values carry their `@type`.
 */

export interface Duration {
  readonly seconds: number;
  readonly nanos: number;
}

export interface UInt32Value {
  readonly value: number;
}

export interface FractionalPercent {
  readonly numerator: number;
  readonly denominator: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION';
}

export interface AdsConfigSource {
  readonly ads: Record<string, never>;
  readonly resource_api_version: 'V3';
}

export interface HttpFilter {
  readonly name: string;
  readonly typed_config: { readonly '@type': string };
}

export interface HttpConnectionManager {
  readonly '@type': string;
  readonly stat_prefix: string;
  readonly rds: { readonly config_source: AdsConfigSource; readonly route_config_name: string };
  readonly http_filters: readonly HttpFilter[];
}

export interface Listener {
  readonly name: string;
  readonly api_listener: { readonly api_listener: HttpConnectionManager };
}

export interface StringMatcher {
  readonly exact?: string;
  readonly prefix?: string;
  readonly safe_regex?: { readonly regex: string };
}

export interface HeaderMatcher {
  readonly name: string;
  readonly string_match: StringMatcher;
}

export interface QueryParameterMatcher {
  readonly name: string;
  readonly string_match: StringMatcher;
}

export interface RouteMatch {
  readonly prefix?: string;
  readonly path?: string;
  readonly safe_regex?: { readonly regex: string };
  readonly case_sensitive?: { readonly value: boolean };
  readonly headers?: readonly HeaderMatcher[];
  readonly query_parameters?: readonly QueryParameterMatcher[];
}

export interface WeightedCluster {
  readonly name: string;
  readonly weight: UInt32Value;
}

export interface RetryPolicy {
  readonly retry_on: string;
  readonly num_retries: UInt32Value;
  readonly per_try_timeout?: Duration;
}

export interface HashPolicy {
  readonly header?: { readonly header_name: string };
  readonly cookie?: { readonly name: string; readonly path?: string; readonly ttl?: Duration };
  readonly connection_properties?: { readonly source_ip: boolean };
  readonly query_parameter?: { readonly name: string };
}

export interface RouteAction {
  readonly cluster?: string;
  readonly weighted_clusters?: { readonly clusters: readonly WeightedCluster[] };
  readonly timeout: Duration;
  /** What gRPC clients honour as the route timeout (gRFC A31); Envoy uses `timeout`. */
  readonly max_stream_duration?: { readonly max_stream_duration: Duration; readonly grpc_timeout_header_max: Duration };
  readonly retry_policy?: RetryPolicy;
  readonly hash_policy?: readonly HashPolicy[];
  readonly prefix_rewrite?: string;
  readonly host_rewrite_literal?: string;
}

export type RedirectResponseCode = 'MOVED_PERMANENTLY' | 'FOUND' | 'SEE_OTHER' | 'TEMPORARY_REDIRECT' | 'PERMANENT_REDIRECT';

export interface RedirectAction {
  readonly path_redirect?: string;
  readonly host_redirect?: string;
  readonly response_code: RedirectResponseCode;
}

export interface DirectResponseAction {
  readonly status: number;
  readonly body?: { readonly inline_string: string };
}

export interface HttpFault {
  readonly '@type': string;
  readonly delay?: { readonly fixed_delay: Duration; readonly percentage: FractionalPercent };
  readonly abort?: { readonly http_status?: number; readonly grpc_status?: number; readonly percentage: FractionalPercent };
}

export interface Route {
  readonly name: string;
  readonly match: RouteMatch;
  readonly route?: RouteAction;
  readonly redirect?: RedirectAction;
  readonly direct_response?: DirectResponseAction;
  readonly typed_per_filter_config?: Readonly<Record<string, HttpFault>>;
}

export interface VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly Route[];
}

export interface RouteConfiguration {
  readonly name: string;
  readonly virtual_hosts: readonly VirtualHost[];
}

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'RANDOM' | 'CLUSTER_PROVIDED';

export interface LoadBalancingPolicy {
  readonly policies: ReadonlyArray<{ readonly typed_extension_config: { readonly name: string; readonly typed_config: { readonly '@type': string } } }>;
}

export interface CircuitBreakerThresholds {
  readonly priority: 'DEFAULT';
  readonly max_connections?: UInt32Value;
  readonly max_pending_requests?: UInt32Value;
  readonly max_requests?: UInt32Value;
  readonly max_retries?: UInt32Value;
}

export interface OutlierDetection {
  readonly consecutive_5xx?: UInt32Value;
  readonly enforcing_consecutive_5xx?: UInt32Value;
  readonly consecutive_gateway_failure?: UInt32Value;
  readonly enforcing_consecutive_gateway_failure?: UInt32Value;
  readonly interval?: Duration;
  readonly base_ejection_time?: Duration;
  readonly max_ejection_percent?: UInt32Value;
  readonly enforcing_success_rate: UInt32Value;
}

export interface Cluster {
  readonly name: string;
  readonly type: 'EDS' | 'ORIGINAL_DST';
  readonly eds_cluster_config?: { readonly eds_config: AdsConfigSource; readonly service_name: string };
  readonly connect_timeout: Duration;
  readonly lb_policy: LbPolicy;
  readonly load_balancing_policy?: LoadBalancingPolicy;
  readonly ring_hash_lb_config?: { readonly minimum_ring_size: { readonly value: number } };
  readonly circuit_breakers?: { readonly thresholds: readonly CircuitBreakerThresholds[] };
  readonly outlier_detection?: OutlierDetection;
  readonly common_lb_config?: { readonly healthy_panic_threshold: { readonly value: number } };
}

export interface LbEndpoint {
  readonly endpoint: { readonly address: { readonly socket_address: { readonly address: string; readonly port_value: number } } };
  readonly health_status: 'HEALTHY';
  readonly load_balancing_weight: UInt32Value;
}

export interface LocalityLbEndpoints {
  readonly locality: { readonly region: string; readonly zone: string; readonly sub_zone: string };
  readonly lb_endpoints: readonly LbEndpoint[];
  readonly load_balancing_weight: UInt32Value;
  readonly priority: number;
}

export interface ClusterLoadAssignment {
  readonly cluster_name: string;
  readonly endpoints: readonly LocalityLbEndpoints[];
}
