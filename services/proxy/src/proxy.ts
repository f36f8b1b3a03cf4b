import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { snapshotKeyForHost, connectBus, parseCreds, type Bus, type ConnectOptions, type NatsUserCredentials } from '@jetmesh/bus';
import { childLogger, type Logger } from '@jetmesh/log';
import { DEFAULT_DOMAIN_SUFFIX, decodeVersionedRoutingSnapshot, decodeVersionedWorkloadSnapshot, spiffeId, type RoutingSnapshot, type VersionedWorkloadSnapshot, type WorkloadEntrySpec } from '@jetmesh/model';
import { createMetricsRegistry, LocalProxyFiles } from '@jetmesh/runtime';
import { ClusterRegistry } from './dataplane/cluster-registry.js';
import { createEndpointDialer } from './dataplane/endpoint-dialer.js';
import { createGatewayHandler } from './dataplane/gateway-handler.js';
import { listenHttp, type HttpListener } from './dataplane/http-listener.js';
import { createInboundHandler } from './dataplane/inbound-handler.js';
import { INBOUND_PORT_LABEL, TLS_MODE_ISTIO, TLS_MODE_LABEL } from './dataplane/mesh-endpoint.js';
import { MeshTls } from './dataplane/mesh-tls.js';
import { createOutboundHandler, type HostSnapshots, type OutboundOptions } from './dataplane/outbound-handler.js';
import type { ServedRequest } from './dataplane/served-request.js';
import { proxyName, proxyStateDir, type ProxyConfig } from './env.js';
import { loadCredentials, saveCredentials } from './identity/saved-credentials.js';
import { startWorkloadIdentity, type WorkloadIdentity } from './identity/workload-identity.js';
import { startWorkloadNatsUser, type WorkloadNatsUser } from './identity/workload-nats-user.js';
import { createProxyStats } from './telemetry/proxy-stats.js';
import { startRequestTelemetry } from './telemetry/request-telemetry.js';
import { serveProxyAdmin } from './proxy-admin.js';
import { answerProxyStatus, type ProxyStatusResponder } from './proxy-status-responder.js';
import { startRegistration, type Registration } from './registration/registration-agent.js';
import { authorizeInbound, balancingCore, routeDecisions } from './dataplane/routing-binding.js';
import { createSnapshotFollower, type SnapshotFollower } from './snapshots/snapshot-follower.js';
import { startProxyTracing } from './tracing/proxy-tracing.js';

export interface Proxy {
  readonly name: string;
  readonly ports: { readonly inbound?: number; readonly outbound?: number; readonly gateway: readonly number[]; readonly admin: number };
  /** Graceful stop: deregister, stop accepting, let requests in flight finish (bounded), disconnect. */
  stop(): Promise<void>;
}

const FIRST_SNAPSHOT_WAIT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;
const REPLAY_LIMIT_BYTES = 1024 * 1024;
const STOP_GRACE_MS = 5_000;
const DEREGISTER_TIMEOUT_MS = 2_000;
/**
 * The whole graceful stop, at most: deregistration, the drain of requests in flight, then a
 * margin for the last reports, the snapshot follower and the NATS drain.
 */
export const PROXY_STOP_TIMEOUT_MS = DEREGISTER_TIMEOUT_MS + STOP_GRACE_MS + 5_000;

/** The WorkloadEntry a proxy registers for itself: its labels, identity, and where its proxy listens. */
export function ownWorkloadEntry(c: ProxyConfig, inboundPort: number | undefined): WorkloadEntrySpec {
  return {
    address: c.address,
    labels: {
      ...c.labels,
      ...(inboundPort !== undefined ? { [TLS_MODE_LABEL]: TLS_MODE_ISTIO, [INBOUND_PORT_LABEL]: String(inboundPort) } : {}),
    },
    serviceAccount: c.serviceAccount,
  };
}

/**
 * One sidecar or gateway. Starts serving at once from what it saved last time (snapshots,
 * certificate), so it works while NATS or the control plane is down, and attaches to the bus
 * whenever it can.
 */
export async function startProxy(config: ProxyConfig, log: Logger): Promise<Proxy> {
  const name = proxyName(config);
  const stateDir = proxyStateDir(config, name);
  const workloadName = { namespace: config.namespace, name };
  const ownId = spiffeId({ trustDomain: config.trustDomain, namespace: config.namespace, serviceAccount: config.serviceAccount });
  const registry = createMetricsRegistry('proxy');
  const meshTls = new MeshTls();
  const saved = await loadCredentials(stateDir, ownId, new Date());
  if (saved !== undefined) {
    meshTls.update(saved);
    log.info({ spiffeId: ownId, notAfter: saved.notAfter.toISOString() }, 'serving with the saved certificate until citadel answers');
  }

  // The dialer is made below; sessions are only read when /stats is scraped.
  const stats = createProxyStats(registry, () => dialer.meshSessions());
  const follower: SnapshotFollower<VersionedWorkloadSnapshot> = await createSnapshotFollower<VersionedWorkloadSnapshot>({
    stateDir: stateDir,
    onValue: (kind, result) => (result === 'applied' ? stats.snapshotApplied(kind) : stats.snapshotRefused(kind, result)),
    workload: workloadName,
    log: childLogger(log, { part: 'snapshots' }),
    decodeHost: decodeVersionedRoutingSnapshot,
    decodeWorkload: decodeVersionedWorkloadSnapshot,
  });
  const workload = () => follower.workload()?.snapshot;

  const checkedHosts = new Set<string>();
  const hostSnapshots: HostSnapshots = {
    known: (host) => follower.host(host)?.snapshot,
    host: async (host, waitMs) => {
      const known = follower.host(host);
      if (known !== undefined) return known.snapshot;
      if (checkedHosts.has(host)) return undefined;
      // First ask: the follower's get is on its way; wait for it (once per host).
      const key = snapshotKeyForHost(host);
      const arrived = await new Promise<RoutingSnapshot | undefined>((resolve) => {
        const timer = setTimeout(() => done(undefined), waitMs);
        const off = follower.onChange((changed) => {
          if (changed === key) done(follower.host(host)?.snapshot);
        });
        const done = (s: RoutingSnapshot | undefined): void => {
          clearTimeout(timer);
          off();
          resolve(s);
        };
        const now = follower.host(host);
        if (now !== undefined) done(now.snapshot);
      });
      checkedHosts.add(host);
      return arrived;
    },
  };

  const dialer = createEndpointDialer(meshTls, { connectTimeoutMs: CONNECT_TIMEOUT_MS, onConnect: (ok) => (ok ? stats.upstreamConnected() : stats.upstreamConnectFailed()) });
  meshTls.onChange(() => dialer.rotate());
  const clusters = new ClusterRegistry(balancingCore, dialer.dial, Math.random, Date.now, (cluster, endpoint) => {
    stats.ejected(cluster);
    log.warn({ cluster, endpoint }, 'endpoint ejected (outlier detection)');
  });
  const selfWorkload = () => ({ name, namespace: config.namespace, spiffeId: meshTls.current()?.spiffeId ?? ownId, labels: config.labels, domainSuffix: DEFAULT_DOMAIN_SUFFIX });
  const telemetry = startRequestTelemetry({
    self: selfWorkload,
    stats,
    accessLog: { log: childLogger(log, { part: 'access' }), enabled: config.accessLog },
    log: childLogger(log, { part: 'telemetry' }),
  });
  const tracing = startProxyTracing({
    samplingPercent: config.traceSampling,
    self: selfWorkload,
    origin: {
      nodeId: `${config.gateway ? 'router' : 'sidecar'}~${config.address}~${name}.${config.namespace}~${config.namespace}.svc.${DEFAULT_DOMAIN_SUFFIX}`,
      meshId: config.trustDomain,
      namespace: config.namespace,
      canonicalService: config.labels['service.istio.io/canonical-name'] ?? config.labels.app ?? config.service,
      canonicalRevision: config.labels['service.istio.io/canonical-revision'] ?? config.labels.version ?? 'latest',
    },
    registry,
    log: childLogger(log, { part: 'tracing' }),
  });
  const served = (record: ServedRequest): void => {
    telemetry.served(record);
    tracing.served(record);
  };
  const self = { workload: name, namespace: config.namespace, ...(config.labels.app !== undefined ? { app: config.labels.app } : {}), ...(config.labels.version !== undefined ? { version: config.labels.version } : {}), canonicalService: config.labels['service.istio.io/canonical-name'] ?? config.labels.app ?? config.service };
  const outboundOpts: OutboundOptions = {
    namespace: config.namespace,
    self,
    snapshots: hostSnapshots,
    clusters,
    decisions: routeDecisions,
    random: Math.random,
    served,
    log: childLogger(log, { part: 'outbound' }),
    snapshotWaitMs: FIRST_SNAPSHOT_WAIT_MS,
    replayLimitBytes: REPLAY_LIMIT_BYTES,
    tracing,
  };

  const listeners: HttpListener[] = [];
  let inboundPort: number | undefined;
  let outboundPort: number | undefined;
  const gatewayPorts: number[] = [];
  let inbound: ReturnType<typeof createInboundHandler> | undefined;
  if (config.gateway) {
    const gateway = createGatewayHandler({ outbound: outboundOpts, workload, ...(config.credentialsDir !== undefined ? { credentialsDir: config.credentialsDir } : {}), log: childLogger(log, { part: 'gateway' }) });
    for (const port of config.gatewayPorts ?? (config.port !== undefined ? [config.port] : [])) {
      const l = await listenHttp({ name: `gateway:${port}`, host: config.bindHost, port, handler: gateway.handlerFor(port), tls: { SNICallback: gateway.sniCallback(port) }, log });
      listeners.push(l);
      gatewayPorts.push(l.port);
    }
  } else {
    inbound = createInboundHandler({
      appPort: config.appPort ?? 0,
      appHost: config.appHost,
      servicePort: config.port ?? 0,
      ownSpiffeId: () => meshTls.current()?.spiffeId,
      workload,
      authorize: authorizeInbound,
      served,
      log: childLogger(log, { part: 'inbound' }),
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      namespace: config.namespace,
      tracing,
    });
    const handler = inbound;
    const inboundListener = await listenHttp({ name: 'inbound', host: config.bindHost, port: config.inboundPort, handler: handler.handle, tls: meshTls.serverOptions(), acceptPlaintext: () => handler.acceptsPlaintext(), log });
    meshTls.onChange(() => inboundListener.setSecureContext(meshTls.serverOptions()));
    const outboundListener = await listenHttp({ name: 'outbound', host: '127.0.0.1', port: config.outboundPort, handler: createOutboundHandler(outboundOpts), log });
    listeners.push(inboundListener, outboundListener);
    inboundPort = inboundListener.port;
    outboundPort = outboundListener.port;
  }

  let identity: WorkloadIdentity | undefined;
  let registration: Registration | undefined;
  let statusResponder: ProxyStatusResponder | undefined;
  let natsUser: WorkloadNatsUser | undefined;
  // The bus it connects with first (the bootstrap user in operator mode), and its own user's.
  let bus: Bus | undefined;
  let workloadBus: Bus | undefined;
  const stopping = new AbortController();
  const connectRetrying = async (auth: Pick<ConnectOptions, 'user' | 'pass' | 'credentials'>): Promise<Bus | undefined> => {
    for (let wait = 500; !stopping.signal.aborted; wait = Math.min(wait * 2, 10_000)) {
      try {
        return await connectBus(config.natsUrl, childLogger(log, { part: 'bus' }), { name: `proxy ${config.namespace}/${name}`, ...auth });
      } catch (err) {
        log.warn({ err: (err as Error).message, retryInMs: wait }, 'NATS unreachable; serving from the saved snapshots');
        await sleep(wait, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
    return undefined;
  };
  const attachDataPlane = (b: Bus): void => {
    follower.attach(b);
    telemetry.attach(b);
    tracing.attach(b);
    statusResponder = answerProxyStatus(
      b,
      () => {
        // The certificate it serves with: citadel's once it answered, else the one saved last run.
        const cert = identity?.current() ?? saved;
        return { ...workloadName, gateway: config.gateway, keys: follower.syncStatus(), ...(cert !== undefined ? { spiffeId: cert.spiffeId, certificateNotAfter: cert.notAfter.toISOString() } : {}) };
      },
      childLogger(log, { part: 'status' }),
    );
  };
  const connectLoop = async (): Promise<void> => {
    let bootstrap: NatsUserCredentials | undefined;
    if (config.natsCreds !== undefined) {
      try {
        bootstrap = parseCreds(await readFile(config.natsCreds, 'utf8'));
      } catch (err) {
        log.error({ file: config.natsCreds, err: (err as Error).message }, 'cannot read the NATS bootstrap credentials (JETMESH_NATS_CREDS); not attaching to NATS');
        return;
      }
    }
    bus = await connectRetrying(bootstrap !== undefined ? { credentials: bootstrap } : { user: config.natsUser, pass: config.natsPassword });
    if (bus === undefined || stopping.signal.aborted) return;
    // Without NATS users (or with the shared proxy user) everything runs on this one connection.
    if (bootstrap === undefined) attachDataPlane(bus);
    if (config.token === undefined) {
      log.error({}, 'no bootstrap token (--token / JETMESH_PROXY_TOKEN): this proxy cannot get a certificate');
      return;
    }
    identity = startWorkloadIdentity({
      caAddress: config.caAddress,
      caServerName: config.caServerName,
      token: config.token,
      trustDomain: config.trustDomain,
      namespace: config.namespace,
      serviceAccount: config.serviceAccount,
      ...(config.certTtlMs !== undefined ? { ttlSeconds: Math.ceil(config.certTtlMs / 1000) } : {}),
      bus,
      log: childLogger(log, { part: 'identity' }),
    });
    identity.onChange((c) => {
      meshTls.update(c);
      saveCredentials(stateDir, c).catch((err: unknown) => log.warn({ err }, 'could not save the certificate'));
    });
    identity.ready.catch((err: unknown) => log.error({ err: (err as Error).message }, 'citadel refused the certificate'));
    const current = identity;
    let meshBus = bus;
    if (bootstrap !== undefined) {
      // Its own user, for its certificate's identity: only its own snapshot and telemetry.
      const user = startWorkloadNatsUser({ caAddress: config.caAddress, caServerName: config.caServerName, namespace: config.namespace, name, identity, stateDir, log });
      natsUser = user;
      const aborted = new Promise<undefined>((resolve) => stopping.signal.addEventListener('abort', () => resolve(undefined), { once: true }));
      const first = await Promise.race([user.ready, aborted]);
      if (first === undefined) return;
      const own = await connectRetrying({ credentials: () => user.current() ?? first });
      if (own === undefined) return;
      workloadBus = own;
      // A renewed user replaces the old one at once rather than when the server drops the expired one.
      user.onChange(() => void own.nc.reconnect().catch((err: unknown) => log.warn({ err }, 'reconnect with the renewed NATS user failed')));
      meshBus = own;
      attachDataPlane(own);
    }
    registration = startRegistration(meshBus, {
      namespace: config.namespace,
      name,
      workload: ownWorkloadEntry(config, inboundPort),
      identity: () => current.current(),
      heartbeatMs: config.heartbeatMs,
      log: childLogger(log, { part: 'registration' }),
    });
  };
  const connecting = connectLoop();

  const admin = await serveProxyAdmin(
    {
      host: '127.0.0.1',
      port: config.adminPort,
      registry,
      ready: () =>
        meshTls.current() === undefined
          ? { ready: false, reason: 'waiting for a workload certificate' }
          : follower.workload() === undefined
            ? { ready: false, reason: 'waiting for the workload snapshot' }
            : { ready: true },
      configDump: () => ({
        workload: { ...workloadName, serviceAccount: config.serviceAccount, labels: config.labels, gateway: config.gateway },
        certificate: meshTls.current() !== undefined ? { spiffeId: meshTls.current()?.spiffeId, notAfter: identity?.current()?.notAfter.toISOString() } : undefined,
        inbound: follower.workload(),
        hosts: Object.fromEntries(follower.hosts().map((h) => [h, follower.host(h)])),
        clusters: clusters.describe(),
        snapshots: follower.stats(),
        listeners: { inbound: inboundPort, outbound: outboundPort, gateway: gatewayPorts },
      }),
    },
    log,
  );
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(join(stateDir, LocalProxyFiles.adminAddress), JSON.stringify({ namespace: config.namespace, name, adminUrl: `http://127.0.0.1:${admin.port}`, pid: process.pid }));
  log.info({ workload: `${config.namespace}/${name}`, inbound: inboundPort, outbound: outboundPort, gateway: gatewayPorts, admin: admin.port }, 'proxy listening');

  return {
    name,
    ports: { ...(inboundPort !== undefined ? { inbound: inboundPort } : {}), ...(outboundPort !== undefined ? { outbound: outboundPort } : {}), gateway: gatewayPorts, admin: admin.port },
    stop: async () => {
      stopping.abort();
      await connecting;
      // Leave the endpoints first, so callers stop picking this proxy while it drains.
      if (registration !== undefined) await registration.deregister(DEREGISTER_TIMEOUT_MS).catch(() => false);
      registration?.stop();
      statusResponder?.stop();
      await Promise.all(listeners.map((l) => l.close(STOP_GRACE_MS)));
      natsUser?.stop();
      identity?.stop();
      await Promise.all([telemetry.stop(), tracing.stop()]);
      inbound?.close();
      dialer.close();
      await follower.stop();
      await admin.close();
      await workloadBus?.drain();
      await bus?.drain();
    },
  };
}
