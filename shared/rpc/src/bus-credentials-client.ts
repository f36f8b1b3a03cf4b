import * as grpc from '@grpc/grpc-js';
import type { CreateBusCredentialsRequest, CreateBusCredentialsResponse } from './ca-messages.js';
import { busCredentialsServiceDefinition } from './ca-service.js';
import { unaryMethod } from './unary-call.js';

export interface BusCredentialsClientOptions {
  /** mTLS credentials with the workload's current certificate (caChannelCredentials with a client key and chain). */
  readonly credentials: grpc.ChannelCredentials;
  /** The name citadel's certificate carries when it differs from the dialled host. */
  readonly serverName?: string;
  /** Per call; default 10 s. */
  readonly deadlineMs?: number;
}

/** Promise client for citadel's BusCredentialsService; failures reject with the grpc ServiceError. */
export interface BusCredentialsClient {
  createBusCredentials(req: CreateBusCredentialsRequest): Promise<CreateBusCredentialsResponse>;
  close(): void;
}

export function createBusCredentialsClient(address: string, opts: BusCredentialsClientOptions): BusCredentialsClient {
  const client = new grpc.Client(
    address,
    opts.credentials,
    opts.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': opts.serverName, 'grpc.default_authority': opts.serverName },
  );
  return {
    createBusCredentials: unaryMethod<CreateBusCredentialsRequest, CreateBusCredentialsResponse>(client, busCredentialsServiceDefinition, 'CreateBusCredentials', () => new grpc.Metadata(), opts.deadlineMs ?? 10_000),
    close: () => client.close(),
  };
}
