import * as grpc from '@grpc/grpc-js';
import type {
  ApplyRequest,
  ApplyResponse,
  DeleteRequest,
  DeleteResponse,
  GetRequest,
  GetResponse,
  ListRequest,
  ListResponse,
  AnalyzeRequest,
  AnalyzeResponse,
  RollbackRequest,
  RollbackResponse,
  RepairChainRequest,
  RepairChainResponse,
} from './config-messages.js';
import { configServiceDefinition } from './config-service.js';
import { unaryMethod } from './unary-call.js';
import { ACTOR_METADATA_KEY, localActor } from './actor-metadata.js';
import { AUTHORIZATION_METADATA_KEY, bearer } from './ca-credentials.js';

export interface ConfigClientOptions {
  /** Recorded as who made the change; default user@host. */
  readonly actor?: string;
  /** Per call; default 30 s (an apply may retry against concurrent writers). */
  readonly deadlineMs?: number;
  /** Default: plaintext, as galley listens on loopback or inside the mesh. */
  readonly credentials?: grpc.ChannelCredentials;
  /** A config token (citadel-minted, audience jetmesh-config), sent as `authorization: Bearer …`. */
  readonly token?: string;
}

/** Promise client for galley's ConfigService; failures reject with the grpc ServiceError (code, details). */
export interface ConfigClient {
  apply(req: Partial<ApplyRequest>): Promise<ApplyResponse>;
  delete(req: Partial<DeleteRequest>): Promise<DeleteResponse>;
  get(req: Partial<GetRequest>): Promise<GetResponse>;
  list(req: Partial<ListRequest>): Promise<ListResponse>;
  analyze(req: Partial<AnalyzeRequest>): Promise<AnalyzeResponse>;
  rollback(req: Partial<RollbackRequest>): Promise<RollbackResponse>;
  repairChain(req: Partial<RepairChainRequest>): Promise<RepairChainResponse>;
  close(): void;
}

const DEFAULT_DEADLINE_MS = 30_000;

export function createConfigClient(address: string, opts: ConfigClientOptions = {}): ConfigClient {
  const client = new grpc.Client(address, opts.credentials ?? grpc.credentials.createInsecure());
  const actor = opts.actor ?? localActor();
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;

  const metadata = (): grpc.Metadata => {
    const m = new grpc.Metadata();
    m.set(ACTOR_METADATA_KEY, actor);
    if (opts.token !== undefined) m.set(AUTHORIZATION_METADATA_KEY, bearer(opts.token));
    return m;
  };
  const unary = <Req, Res>(method: keyof typeof configServiceDefinition & string) =>
    unaryMethod<Req, Res>(client, configServiceDefinition, method, metadata, deadlineMs);

  return {
    apply: unary<Partial<ApplyRequest>, ApplyResponse>('Apply'),
    delete: unary<Partial<DeleteRequest>, DeleteResponse>('Delete'),
    get: unary<Partial<GetRequest>, GetResponse>('Get'),
    list: unary<Partial<ListRequest>, ListResponse>('List'),
    analyze: unary<Partial<AnalyzeRequest>, AnalyzeResponse>('Analyze'),
    rollback: unary<Partial<RollbackRequest>, RollbackResponse>('Rollback'),
    repairChain: unary<Partial<RepairChainRequest>, RepairChainResponse>('RepairChain'),
    close: () => client.close(),
  };
}
