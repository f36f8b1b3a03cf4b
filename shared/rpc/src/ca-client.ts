import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_METADATA_KEY, bearer } from './ca-credentials.js';
import type { IstioCertificateRequest, IstioCertificateResponse } from './ca-messages.js';
import { istioCertificateServiceDefinition } from './ca-service.js';

export interface CaClientOptions {
  /** TLS credentials (see caChannelCredentials); with a client certificate for renewal. */
  readonly credentials: grpc.ChannelCredentials;
  /** A mesh token sent as `authorization: Bearer …`; omit to authenticate by client certificate. */
  readonly token?: string;
  /**
   * The name citadel's certificate must carry when it differs from the dialled
   * host (e.g. "localhost" when dialling 127.0.0.1: TLS sends no IP as SNI).
   */
  readonly serverName?: string;
  /** Per call; default 10 s. */
  readonly deadlineMs?: number;
  /** Extra channel options, e.g. grpc.ssl_target_name_override. */
  readonly channelOptions?: grpc.ChannelOptions;
}

/** Promise client for IstioCertificateService; failures reject with the grpc ServiceError. */
export interface CaClient {
  createCertificate(req: Partial<IstioCertificateRequest>): Promise<IstioCertificateResponse>;
  close(): void;
}

const DEFAULT_DEADLINE_MS = 10_000;

export function createCaClient(address: string, opts: CaClientOptions): CaClient {
  const client = new grpc.Client(address, opts.credentials, {
    ...opts.channelOptions,
    ...(opts.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': opts.serverName, 'grpc.default_authority': opts.serverName }),
  });
  const def = istioCertificateServiceDefinition.CreateCertificate;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  return {
    createCertificate: (req) =>
      new Promise((resolve, reject) => {
        const metadata = new grpc.Metadata();
        if (opts.token !== undefined) metadata.set(AUTHORIZATION_METADATA_KEY, bearer(opts.token));
        client.makeUnaryRequest<Partial<IstioCertificateRequest>, IstioCertificateResponse>(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          req,
          metadata,
          { deadline: Date.now() + deadlineMs },
          (err, res) => (err ? reject(err) : resolve(res as IstioCertificateResponse)),
        );
      }),
    close: () => client.close(),
  };
}
