// Messages of proto/jetmesh/config/v1/config.proto as @grpc/proto-loader
// decodes them (camelCase, uint64 as number, every field present).
// Keep in step with the .proto: field comments there.

export interface ResourceRef {
  kind: string;
  namespace: string;
  name: string;
}

export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'deleted';

export interface ResourceChange {
  /** null only if a server forgot to set it. */
  ref: ResourceRef | null;
  action: ChangeAction;
  resourceVersion: number;
}

export interface ApplyRequest {
  yaml: string;
  defaultNamespace: string;
  reason: string;
  dryRun: boolean;
}

export interface ApplyResponse {
  /** 0 when nothing was published. */
  sequence: number;
  changes: ResourceChange[];
  warnings: string[];
}

export interface DeleteRequest {
  yaml: string;
  refs: ResourceRef[];
  defaultNamespace: string;
  reason: string;
  dryRun: boolean;
}

export interface DeleteResponse {
  sequence: number;
  changes: ResourceChange[];
}

export interface GetRequest {
  ref: ResourceRef | null;
}

export interface GetResponse {
  resourceJson: string;
}

export interface ListRequest {
  kind: string;
  namespace: string;
  allNamespaces: boolean;
}

export interface ListResponse {
  resourcesJson: string[];
  sequence: number;
}
