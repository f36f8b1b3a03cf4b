import * as grpc from '@grpc/grpc-js';
import { ACTOR_METADATA_KEY, localActor } from './actor-metadata.js';
import { AUTHORIZATION_METADATA_KEY, bearer } from './ca-credentials.js';
import type { CreateConfigTokenRequest, CreateConfigTokenResponse, CreateTokenRequest, CreateTokenResponse, RotateRootRequest, RotateRootResponse } from './ca-messages.js';
import { caAdminServiceDefinition } from './ca-service.js';
import { unaryMethod } from './unary-call.js';

export interface CaAdminClientOptions {
  /** TLS credentials trusting the mesh roots (see caChannelCredentials). */
  readonly credentials: grpc.ChannelCredentials;
  /** The admin secret citadel wrote to its admin token file. */
  readonly adminToken: string;
  /** Recorded in the audit log; default user@host. */
  readonly actor?: string;
  /**
   * The name citadel's certificate must carry when it differs from the dialled
   * host (e.g. "localhost" when dialling 127.0.0.1: TLS sends no IP as SNI).
   */
  readonly serverName?: string;
  /** Per call; default 15 s. */
  readonly deadlineMs?: number;
}

/** Promise client for citadel's CaAdminService; failures reject with the grpc ServiceError. */
export interface CaAdminClient {
  createToken(req: Partial<CreateTokenRequest>): Promise<CreateTokenResponse>;
  rotateRoot(req: Partial<RotateRootRequest>): Promise<RotateRootResponse>;
  createConfigToken(req: Partial<CreateConfigTokenRequest>): Promise<CreateConfigTokenResponse>;
  close(): void;
}

const DEFAULT_DEADLINE_MS = 15_000;

export function createCaAdminClient(address: string, opts: CaAdminClientOptions): CaAdminClient {
  const client = new grpc.Client(
    address,
    opts.credentials,
    opts.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': opts.serverName, 'grpc.default_authority': opts.serverName },
  );
  const actor = opts.actor ?? localActor();
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;

  const metadata = (): grpc.Metadata => {
    const m = new grpc.Metadata();
    m.set(AUTHORIZATION_METADATA_KEY, bearer(opts.adminToken));
    m.set(ACTOR_METADATA_KEY, actor);
    return m;
  };
  const unary = <Req, Res>(method: keyof typeof caAdminServiceDefinition & string) =>
    unaryMethod<Req, Res>(client, caAdminServiceDefinition, method, metadata, deadlineMs);

  return {
    createToken: unary<Partial<CreateTokenRequest>, CreateTokenResponse>('CreateToken'),
    rotateRoot: unary<Partial<RotateRootRequest>, RotateRootResponse>('RotateRoot'),
    createConfigToken: unary<Partial<CreateConfigTokenRequest>, CreateConfigTokenResponse>('CreateConfigToken'),
    close: () => client.close(),
  };
}
