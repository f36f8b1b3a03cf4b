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
  /** Analyzer warnings refuse the change. */
  strict: boolean;
  /** '' when not given. */
  expectVersion: string;
  /** The client's id for the request, the same on every retry; '' when not given. */
  requestId?: string;
}

export interface ApplyResponse {
  /** 0 when nothing was published. */
  sequence: number;
  changes: ResourceChange[];
  warnings: string[];
  diagnostics: Diagnostic[];
}

/** One analyzer finding (proto Diagnostic). */
export interface Diagnostic {
  code: string;
  name: string;
  level: 'Error' | 'Warning' | 'Info';
  ref: ResourceRef | null;
  path: string;
  message: string;
}

export interface AnalyzeRequest {
  yaml: string;
  defaultNamespace: string;
}

export interface AnalyzeResponse {
  diagnostics: Diagnostic[];
  sequence: number;
}

export interface DeleteRequest {
  yaml: string;
  refs: ResourceRef[];
  defaultNamespace: string;
  reason: string;
  dryRun: boolean;
  /** As ApplyRequest.requestId. */
  requestId?: string;
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

export interface RollbackRequest {
  /** Which of toSequence / toTime is set (proto oneof); toSequence 0 is before the first change. */
  target?: 'toSequence' | 'toTime';
  toSequence?: number;
  /** RFC 3339. */
  toTime?: string;
  only: ResourceRef[];
  reason: string;
  dryRun: boolean;
}

export interface RollbackResponse {
  /** 0 when nothing was published. */
  sequence: number;
  targetSequence: number;
  changes: ResourceChange[];
  warnings: string[];
}

export interface RepairChainRequest {
  reason: string;
  dryRun: boolean;
}

export interface ChainForkMessage {
  sequence: number;
  actor: string;
  predecessorSequence: number;
  orphanSequence: number;
  orphanActor: string;
  orphanHash: string;
  /** 0 while unrepaired. */
  repairedBy: number;
}

export interface RepairChainResponse {
  /** 0 when nothing was published. */
  sequence: number;
  forks: ChainForkMessage[];
}
