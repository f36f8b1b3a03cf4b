/*
 * ADS messages as proto-loader hands them over (snake_case, defaults filled in, enums as names)
 * and as pilot writes them. Only the fields pilot reads or sets.
 */

/**
 * google.protobuf.Struct as proto-loader hands it over. Its well-known types come from protobufjs's
 * bundled descriptors, so their fields stay camelCase (`stringValue`) even with keepCase.
 */
export interface ProtoStruct {
  readonly fields?: Readonly<Record<string, { readonly kind?: string; readonly stringValue?: string }>>;
}

export interface XdsNode {
  readonly id: string;
  readonly cluster?: string;
  readonly metadata?: ProtoStruct | null;
  readonly user_agent_name?: string;
}

export interface ErrorDetail {
  readonly code: number;
  readonly message: string;
}

export interface AnyResource {
  readonly type_url: string;
  readonly value: Buffer;
}

export interface DiscoveryRequest {
  readonly version_info: string;
  readonly node: XdsNode | null;
  readonly resource_names: readonly string[];
  readonly type_url: string;
  readonly response_nonce: string;
  readonly error_detail: ErrorDetail | null;
}

export interface DiscoveryResponse {
  readonly version_info: string;
  readonly resources: readonly AnyResource[];
  readonly type_url: string;
  readonly nonce: string;
}

export interface DeltaDiscoveryRequest {
  readonly node: XdsNode | null;
  readonly type_url: string;
  readonly resource_names_subscribe: readonly string[];
  readonly resource_names_unsubscribe: readonly string[];
  readonly initial_resource_versions: Readonly<Record<string, string>>;
  readonly response_nonce: string;
  readonly error_detail: ErrorDetail | null;
}

export interface DeltaResource {
  readonly name: string;
  readonly version: string;
  readonly resource: AnyResource;
}

export interface DeltaDiscoveryResponse {
  readonly system_version_info: string;
  readonly resources: readonly DeltaResource[];
  readonly type_url: string;
  readonly removed_resources: readonly string[];
  readonly nonce: string;
}

/** The `*` of a subscription: every resource of the type. */
export const WILDCARD = '*';
