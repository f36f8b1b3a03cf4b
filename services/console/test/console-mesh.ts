import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, launchProcess, startMeshProcesses, waitForHttp, type ChildHandle, type MeshProcesses } from '@jetmesh/testing';

/** Change #1: the reviews service and two workloads. */
export const reviewsService = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews}
spec:
  hosts: [reviews]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: reviews}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1}
spec: {address: 10.1.0.1, ports: {http: 9080}, labels: {app: reviews, version: v1}, serviceAccount: reviews}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v2}
spec: {address: 10.1.0.2, ports: {http: 9080}, labels: {app: reviews, version: v2}, serviceAccount: reviews}
`;

/** Change #2: subsets and mutual TLS to them. */
export const reviewsSubsets = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

/** Change #3: a 80/20 canary. */
export const reviewsCanary = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-route}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v2}, weight: 20}
`;

export const REVIEWS_HOST = 'reviews.default.svc.cluster.local';

export interface ConsoleMesh {
  readonly mesh: MeshProcesses;
  readonly console: ChildHandle;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** The console's admin port (/readyz, /console-url). */
  readonly adminUrl: string;
  /** May read, apply and delete everywhere: can roll back. */
  readonly writerToken: string;
  /** May only read. */
  readonly readerToken: string;
  stop(): Promise<void>;
}

const consoleEntry = join(fileURLToPath(new URL('..', import.meta.url)), 'src', 'main.js');

/**
 * A real mesh (nats-server, galley requiring config tokens, pilot, citadel) with the console as a
 * process beside it, its tokens minted by citadel through the CLI, and changes #1–#3 applied.
 */
export async function startConsoleMesh(): Promise<ConsoleMesh> {
  const mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'], galleyAuth: 'required' });
  let consoleProcess: ChildHandle | undefined;
  try {
    const mint = async (actor: string, verbs: string): Promise<string> => {
      const r = await mesh.cli(['token', 'create', '--actor', actor, '--namespaces', '*', '--verbs', verbs, '--ttl', '1h']);
      if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
      return r.stdout.trim();
    };
    const writerToken = await mint('alice@console-test', 'apply,delete,read');
    const readerToken = await mint('bob@console-test', 'read');
    const apply = async (yaml: string, reason: string): Promise<void> => {
      const r = await mesh.cli(['apply', '-f', '-', '--reason', reason], yaml, { JETMESH_TOKEN: writerToken });
      if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
    };
    await apply(reviewsService, 'add reviews v1 and v2');
    await apply(reviewsSubsets, 'subsets with mutual TLS');
    await apply(reviewsCanary, 'canary: 20% to v2');

    const port = await freePort();
    const adminPort = await freePort();
    consoleProcess = launchProcess(process.execPath, [consoleEntry], {
      name: 'console',
      env: {
        JETMESH_NATS_URL: mesh.nats.url,
        JETMESH_CONSOLE_PORT: String(port),
        JETMESH_ADMIN_PORT: String(adminPort),
        JETMESH_GALLEY_ADDRESS: mesh.galleyAddresses[0]!,
        JETMESH_LOG_LEVEL: process.env.JETMESH_TEST_LOG_LEVEL ?? 'warn',
      },
    });
    await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, { timeoutMs: 20_000 }).catch((e: Error) => {
      throw new Error(`console did not become ready: ${e.message}\n${consoleProcess?.output().slice(-3000)}`);
    });
    const child = consoleProcess;
    return {
      mesh,
      console: child,
      url: `http://127.0.0.1:${port}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      writerToken,
      readerToken,
      stop: async () => {
        await child.stop();
        await mesh.stop();
      },
    };
  } catch (e) {
    await consoleProcess?.stop();
    await mesh.stop();
    throw e;
  }
}
