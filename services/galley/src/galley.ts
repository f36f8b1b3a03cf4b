import type { Registry } from 'prom-client';
import { Limits, type Bus } from '@jetmesh/bus';
import { childLogger, type Logger } from '@jetmesh/log';
import { createAccessAudit } from './access-audit.js';
import { createCallerIdentity, type GalleyAuthMode } from './caller-identity.js';
import { createChangePublisher } from './change-publisher.js';
import { createConfigService } from './config-service.js';
import { startConfigState, type ConfigState } from './config-state.js';
import { createGalleyMetrics, registerForkGauge } from './galley-metrics.js';
import { serveConfigService } from './grpc-server.js';
import { startRegistrar } from './registrar/registrar.js';
import { followTokenKeys } from './token-keys.js';

export interface GalleyOptions {
  readonly host: string;
  readonly port: number;
  readonly maxDocumentBytes: number;
  readonly maxRequestBytes: number;
  readonly publishAttempts: number;
  /** Default 1000. */
  readonly maxChangeSetDocuments?: number;
  /** Default: MESH_CONFIG's maximum message size. */
  readonly maxChangeSetBytes?: number;
  readonly registry: Registry;
  /** required: calls need a config token (keys followed in mesh_trust); disabled: the actor is what the caller claims. */
  readonly auth: GalleyAuthMode;
  /** Proxies registered through the registrar are removed after this long without a heartbeat; default 30000. */
  readonly registryGraceMs?: number;
}

/** One galley replica: its projection of MESH_CONFIG and the config API over it. */
export interface Galley {
  readonly address: string;
  readonly port: number;
  readonly state: ConfigState;
  /** Stops serving, then stops following the log; the bus stays open (the caller owns it). */
  close(): Promise<void>;
}

/** Starts following the log and serves once the projection has caught up, so no request sees a partial state. */
export async function startGalley(bus: Bus, opts: GalleyOptions, log: Logger): Promise<Galley> {
  const metrics = createGalleyMetrics(opts.registry);
  const state = await startConfigState(bus, childLogger(log, { part: 'config-state' }));
  await state.caughtUp;
  registerForkGauge(opts.registry, () => state.forks().length);
  const publisher = createChangePublisher(bus, state, childLogger(log, { part: 'publisher' }), { attempts: opts.publishAttempts, metrics });
  const keys = opts.auth === 'required' ? await followTokenKeys(bus, childLogger(log, { part: 'token-keys' })) : undefined;
  const identity = createCallerIdentity(opts.auth, keys);
  const audit = createAccessAudit(bus, childLogger(log, { part: 'audit' }));
  const handlers = createConfigService(
    {
      identity,
      audit,
      bus,
      state,
      publisher,
      metrics,
      maxDocumentBytes: opts.maxDocumentBytes,
      maxChangeSetBytes: opts.maxChangeSetBytes ?? Limits.configMaxMsgBytes,
      ...(opts.maxChangeSetDocuments !== undefined ? { maxChangeSetDocuments: opts.maxChangeSetDocuments } : {}),
    },
    childLogger(log, { part: 'config-service' }),
  );
  const registrar = await startRegistrar(bus, { graceMs: opts.registryGraceMs ?? 30_000, metrics, log: childLogger(log, { part: 'registrar' }) });
  const server = await serveConfigService(handlers, { host: opts.host, port: opts.port, maxRequestBytes: opts.maxRequestBytes }, log);
  return {
    address: server.address,
    port: server.port,
    state,
    close: async () => {
      await server.close();
      await registrar.stop();
      keys?.stop();
      await state.stop();
    },
  };
}
