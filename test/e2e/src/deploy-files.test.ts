import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { parseAllDocuments } from 'yaml';
import { AdminPaths, decodeEnv, findNatsServerBinary, formatEnvError, MeshNatsUsers, PROXY_NODE_FLAGS, type EnvSpec, type MeshNatsUser } from '@jetmesh/runtime';
import { repoRoot } from '@jetmesh/testing';

// Static: no Docker daemon or cluster here. Every image, port, variable and probe path the deploy files
// name is checked against what the code reads (the services' env specs, the admin server's paths).

type Doc = Record<string, unknown>;
const k8sDir = join(repoRoot, 'deploy', 'k8s');
const dockerDir = join(repoRoot, 'deploy', 'docker');
const NATS_VALUES = 'nats-values.yaml';

const readYaml = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(file, 'utf8'), { merge: true }).map((doc) => {
    assert.deepEqual(doc.errors, [], `${file} parses`);
    return doc.toJS() as Doc;
  });

const obj = (value: unknown, where: string): Doc => {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where} is a mapping`);
  return value as Doc;
};
const list = (value: unknown, where: string): unknown[] => {
  assert.ok(Array.isArray(value), `${where} is a list`);
  return value;
};
const at = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Doc)[key] : undefined), value);

const rootVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** The version of the nats-server the tests run, e.g. "2.9.10". */
function testedNatsVersion(): string {
  const binary = findNatsServerBinary();
  assert.ok(binary !== undefined, 'nats-server is installed');
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout;
  const version = /v(\d+\.\d+\.\d+)/.exec(out)?.[1];
  assert.ok(version !== undefined, `nats-server --version said ${out}`);
  return version;
}

/** A service's entry and its env spec, loaded from the built code: `services/X/dist/src/main.js`. */
async function serviceOf(entry: string): Promise<{ name: string; spec: EnvSpec }> {
  const match = /^services\/([a-z]+)\/dist\/src\/main\.js$/.exec(entry);
  assert.ok(match !== null, `${entry} is a service's built entry`);
  const name = match[1] ?? '';
  assert.ok(existsSync(join(repoRoot, 'services', name, 'src', 'main.ts')), `services/${name}/src/main.ts exists`);
  const module = (await import(pathToFileURL(join(repoRoot, 'services', name, 'dist', 'src', 'env.js')).href)) as Record<string, unknown>;
  const isSpec = (v: unknown): v is EnvSpec =>
    v !== null && typeof v === 'object' && Object.values(v).length > 0 && Object.values(v).every((f) => typeof (f as { variable?: unknown }).variable === 'string');
  const specs = Object.values(module).filter(isSpec);
  assert.equal(specs.length, 1, `services/${name}/src/env.ts exports one env spec`);
  return { name, spec: specs[0] ?? {} };
}

const variablesOf = (spec: EnvSpec): Map<string, string> => new Map(Object.entries(spec).map(([field, v]) => [v.variable, field]));

/**
 * The environment decoded by the service's own spec, as the service would at start: every
 * variable named must be one it reads, every value must decode.
 */
function decodeAs(service: { name: string; spec: EnvSpec }, env: Record<string, string>, where: string): Record<string, unknown> {
  const known = variablesOf(service.spec);
  for (const variable of Object.keys(env)) assert.ok(known.has(variable), `${where}: ${service.name} reads no ${variable}`);
  const decoded = decodeEnv(service.spec, env);
  assert.ok(E.isRight(decoded), `${where}: ${service.name} refuses its environment: ${E.isLeft(decoded) ? decoded.left.map(formatEnvError).join('; ') : ''}`);
  return decoded.right as Record<string, unknown>;
}

/** Decoded values of every `*_PORT` and `*_HOST` variable the service reads. */
function listeners(service: { spec: EnvSpec }, config: Record<string, unknown>): { ports: Map<string, number>; hosts: Map<string, string> } {
  const ports = new Map<string, number>();
  const hosts = new Map<string, string>();
  for (const [field, v] of Object.entries(service.spec)) {
    if (v.variable.endsWith('_PORT')) ports.set(v.variable, config[field] as number);
    if (v.variable.endsWith('_HOST')) hosts.set(v.variable, config[field] as string);
  }
  return { ports, hosts };
}

const adminPortOf = (service: { spec: EnvSpec }, config: Record<string, unknown>): number => listeners(service, config).ports.get('JETMESH_ADMIN_PORT') ?? -1;
const ALL_INTERFACES = ['0.0.0.0', '::'];

const k8sFiles = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml') && f !== NATS_VALUES);
const manifests = k8sFiles.flatMap((f) => readYaml(join(k8sDir, f)).map((doc) => ({ file: f, doc })));
const ofKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const CONTROL_PLANE_NAMESPACE = 'jetmesh-system';
const controlPlane = (docs: Doc[]): Doc[] => docs.filter((d) => at(d, 'metadata.namespace') === CONTROL_PLANE_NAMESPACE);
const PROXY_ENTRY = 'services/proxy/dist/src/main.js';
/** The console reads what the CLI reads: it connects as the operator's user. */
const NATS_USER_OF: Record<string, string> = { console: 'admin' };
const CREDS_SECRET = 'jetmesh-nats-creds';

/**
 * The Secret value a container sees at `path`: a volume mounted on its directory, from a Secret of
 * the pod's namespace whose item names that file; asserts every step.
 */
function mountedSecretFile(namespace: string, pod: Doc, container: Doc, path: string, where: string): { secret: string; key: string; value: unknown } {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const file = path.slice(path.lastIndexOf('/') + 1);
  const mount = list(container.volumeMounts, `${where} volumeMounts`).map((m) => obj(m, 'mount')).find((m) => m.mountPath === dir);
  assert.ok(mount !== undefined, `${where}: ${dir} is mounted`);
  const volume = list(pod.volumes, `${where} volumes`).map((v) => obj(v, 'volume')).find((v) => v.name === mount.name);
  const secretName = at(volume, 'secret.secretName') as string | undefined;
  assert.ok(secretName !== undefined, `${where}: ${dir} is a Secret volume`);
  const item = list(at(volume, 'secret.items'), `${where} secret items`).map((i) => obj(i, 'item')).find((i) => i.path === file);
  assert.ok(item !== undefined, `${where}: the Secret volume holds ${file}`);
  const secret = ofKind('Secret').find((x) => at(x, 'metadata.name') === secretName && at(x, 'metadata.namespace') === namespace);
  assert.ok(secret !== undefined, `${where}: Secret ${secretName} exists in ${namespace}`);
  const value = obj(secret.stringData ?? secret.data, 'secret data')[item.key as string];
  assert.ok(value !== undefined, `${where}: Secret ${secretName} has key ${String(item.key)}`);
  return { secret: secretName, key: item.key as string, value };
}
const compose = obj(readYaml(join(dockerDir, 'compose.yaml'))[0], 'compose.yaml');
const composeServices = obj(compose.services, 'compose services');
const jetmeshImage = (): string => {
  const built = Object.values(composeServices).map((s) => obj(s, 'a compose service')).filter((s) => s.build !== undefined);
  const images = new Set(built.map((s) => s.image as string));
  assert.equal(images.size, 1, 'compose builds one image');
  for (const s of built) assert.equal(at(s, 'build.dockerfile'), 'deploy/docker/Dockerfile');
  return [...images][0] ?? '';
};

test('deploy.image: one image, built by deploy/docker/Dockerfile (multi-stage, npm ci --omit=dev, non-root), tagged with the repository version', () => {
  const image = jetmeshImage();
  assert.equal(image.split(':')[1], rootVersion);
  const dockerfile = readFileSync(join(dockerDir, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split('\n').filter((l) => /^FROM /.test(l));
  assert.ok(stages.length >= 2, 'multi-stage');
  const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  assert.match(final, /^RUN npm ci --omit=dev/m);
  assert.match(final, /^USER (?!root\b|0\b)\S+/m);
  assert.doesNotMatch(final, /^RUN npm ci(?! --omit=dev)/m, 'no dev dependencies in the runtime stage');
  // The Node major of the base images is the one package.json's engines asks for.
  const engines = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  for (const from of stages) assert.match(from, new RegExp(`^FROM node:${/\d+/.exec(engines)?.[0]}\\b`), from);
  // What the build stage copies exists, and every entry the deploy files run is what `npm run build` writes.
  for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm)) assert.ok(existsSync(join(repoRoot, source ?? '')), `COPY ${source}`);
});

test('deploy.k8s: every Deployment runs the image with a service entry, only variables that service reads and values it accepts, on the ports its config gives', async () => {
  const image = jetmeshImage();
  const deployments = controlPlane(ofKind('Deployment'));
  assert.deepEqual(deployments.map((d) => at(d, 'metadata.name')).sort(), ['citadel', 'console', 'galley', 'pilot', 'telemetry']);
  const secrets = new Map(ofKind('Secret').map((s) => [at(s, 'metadata.name') as string, obj(s.stringData ?? s.data, 'secret data')]));
  const accounts = new Set(ofKind('ServiceAccount').map((s) => at(s, 'metadata.name')));
  const natsValues = obj(readYaml(join(k8sDir, NATS_VALUES))[0], NATS_VALUES);

  for (const deployment of deployments) {
    const name = at(deployment, 'metadata.name') as string;
    const labels = obj(at(deployment, 'spec.template.metadata.labels'), `${name} pod labels`);
    const pod = obj(at(deployment, 'spec.template.spec'), `${name} pod`);
    assert.ok(Number(at(deployment, 'spec.replicas')) >= 2, `${name} runs replicas`);
    assert.ok(accounts.has(pod.serviceAccountName), `${name}'s ServiceAccount ${String(pod.serviceAccountName)} exists`);
    assert.equal(at(pod, 'securityContext.runAsNonRoot'), true);
    const [container, ...others] = list(pod.containers, `${name} containers`).map((c) => obj(c, 'container'));
    assert.ok(container !== undefined && others.length === 0);
    assert.equal(container.image, image, `${name} runs the image compose builds`);
    const [node, entry] = list(container.command, `${name} command`) as string[];
    assert.equal(node, 'node');
    const service = await serviceOf(entry ?? '');
    assert.equal(service.name, name);
    assert.ok(at(container, 'resources.requests.cpu') !== undefined && at(container, 'resources.limits.memory') !== undefined, `${name} has resources`);

    // Every variable: a literal, a key of a Secret here, or the pod's name; decoded by the service's spec.
    const env: Record<string, string> = {};
    for (const item of list(container.env, `${name} env`).map((e) => obj(e, 'env'))) {
      const variable = item.name as string;
      const ref = at(item, 'valueFrom.secretKeyRef') as { name: string; key: string } | undefined;
      if (ref !== undefined) {
        assert.ok(secrets.get(ref.name)?.[ref.key] !== undefined, `${name}: ${variable} names key ${ref.key} of Secret ${ref.name}, which exists`);
        env[variable] = String(secrets.get(ref.name)?.[ref.key]);
      } else if (at(item, 'valueFrom.fieldRef.fieldPath') === 'metadata.name') env[variable] = `${name}-7d9f8-abcde`;
      else env[variable] = String(item.value);
    }
    const config = decodeAs(service, env, `deploy/k8s ${name}`);
    // Its own user's JWT and seed (make-accounts.mjs), from the creds Secret; no passwords.
    const user = NATS_USER_OF[name] ?? name;
    assert.ok(MeshNatsUsers.includes(user as MeshNatsUser) && user !== 'proxy', `${name} connects as a deploy/nats user`);
    assert.equal(env.JETMESH_NATS_USER, undefined);
    assert.equal(config.natsCreds, `/etc/jetmesh/nats/${user}.creds`);
    const creds = mountedSecretFile(CONTROL_PLANE_NAMESPACE, pod, container, String(config.natsCreds), name);
    assert.deepEqual([creds.secret, creds.key], [CREDS_SECRET, `${user}.creds`], `${name} mounts only its own user's creds`);
    if (name === 'citadel') assert.ok(config.natsAccount !== undefined && config.natsSigningKey !== undefined, 'citadel mints the sidecars\' users');
    if (env.JETMESH_STREAM_REPLICAS !== undefined) assert.equal(Number(env.JETMESH_STREAM_REPLICAS), at(natsValues, 'config.cluster.replicas'), 'one copy of each stream per NATS node');

    // The container's ports are exactly the ports its config listens on, on every interface.
    const { ports, hosts } = listeners(service, config);
    const containerPorts = list(container.ports, `${name} ports`).map((p) => obj(p, 'port'));
    assert.deepEqual(containerPorts.map((p) => p.containerPort).sort(), [...ports.values()].sort(), `${name}'s containerPorts are its configured ports`);
    for (const [variable, host] of hosts) assert.ok(ALL_INTERFACES.includes(host), `${name}: ${variable}=${host} would not be reachable in a pod`);
    const portNumber = (ref: unknown): number | undefined => (typeof ref === 'number' ? ref : (containerPorts.find((p) => p.name === ref)?.containerPort as number | undefined));

    // Probes: the admin server's own paths on its port.
    assert.equal(at(container, 'readinessProbe.httpGet.path'), AdminPaths.ready);
    assert.equal(at(container, 'livenessProbe.httpGet.path'), AdminPaths.health);
    for (const probe of ['readinessProbe', 'livenessProbe']) assert.equal(portNumber(at(container, `${probe}.httpGet.port`)), adminPortOf(service, config), `${name} ${probe} port`);

    // A Service reaches the main port, a PodDisruptionBudget keeps one, a NetworkPolicy lets traffic in.
    const selects = (selector: unknown): boolean => Object.entries(obj(selector, 'selector')).every(([k, v]) => labels[k] === v);
    const svc = ofKind('Service').find((s) => selects(at(s, 'spec.selector')));
    assert.ok(svc !== undefined, `a Service selects ${name}`);
    for (const p of list(at(svc, 'spec.ports'), 'service ports').map((x) => obj(x, 'service port'))) {
      const target = portNumber(p.targetPort ?? p.port);
      assert.ok(target !== undefined && [...ports.values()].includes(target), `${name} Service port ${String(p.name)} reaches a port ${name} listens on`);
      const allowed = ofKind('NetworkPolicy').some((np) => (at(np, 'spec.ingress') as Doc[] | undefined)?.some((rule) => (rule.ports as Doc[] | undefined)?.some((rp) => rp.port === target)));
      assert.ok(allowed, `a NetworkPolicy admits ${name}'s port ${target}`);
    }
    assert.ok(ofKind('PodDisruptionBudget').some((pdb) => selects(at(pdb, 'spec.selector.matchLabels'))), `a PodDisruptionBudget covers ${name}`);

    // An address of another service names a Service and its port.
    for (const [variable, value] of Object.entries(env)) {
      const address = /^([a-z-]+)\.jetmesh-system\.svc:(\d+)$/.exec(value);
      if (address === null || variable === 'JETMESH_NATS_URL') continue;
      const target = ofKind('Service').find((s) => at(s, 'metadata.name') === address[1]);
      assert.ok(list(at(target, 'spec.ports'), `${address[1]} ports`).some((p) => obj(p, 'port').port === Number(address[2])), `${name}: ${variable} names a Service port`);
    }
  }
});

test('deploy.k8s.nats: the Helm values run the tested nats-server version, 3 nodes with JetStream on file storage, in operator mode on make-accounts.mjs\'s accounts.conf, whose creds files the Secret holds', () => {
  const values = obj(readYaml(join(k8sDir, NATS_VALUES))[0], NATS_VALUES);
  assert.equal(at(values, 'container.image.repository'), 'nats');
  assert.match(String(at(values, 'container.image.tag')), new RegExp(`^${testedNatsVersion().replaceAll('.', '\\.')}(-|$)`));
  assert.equal(at(values, 'config.cluster.enabled'), true);
  assert.equal(at(values, 'config.cluster.replicas'), 3);
  assert.equal(at(values, 'config.jetstream.enabled'), true);
  assert.equal(at(values, 'config.jetstream.fileStore.enabled'), true);
  assert.equal(at(values, 'container.env'), undefined, 'no password variables: the users are JWTs');
  const include = at(values, 'config.merge.$include') as string;
  assert.equal(basename(include), 'accounts.conf');
  const out = mkdtempSync(join(tmpdir(), 'jetmesh-accounts-'));
  try {
    execFileSync(process.execPath, [join(repoRoot, 'deploy', 'nats', 'make-accounts.mjs'), out, '/etc/jetmesh-nats-accounts']);
    assert.ok(existsSync(join(out, 'accounts.conf')) && readFileSync(join(out, 'accounts.conf'), 'utf8').includes('operator: "/etc/jetmesh-nats-accounts/operator.jwt"'), 'the script writes accounts.conf naming the operator JWT where the pods mount it');
    const written = readdirSync(out).filter((f) => f.endsWith('.creds') && f !== 'proxy-bootstrap.creds').sort();
    const secret = ofKind('Secret').find((x) => at(x, 'metadata.name') === CREDS_SECRET);
    assert.deepEqual(Object.keys(obj(secret?.stringData, 'creds secret')).sort(), written, 'the Secret holds one creds file per component the script mints');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const mountPath = /\/etc\/jetmesh-nats-accounts/.test(JSON.stringify(at(values, 'container.patch')));
  assert.ok(mountPath, 'the NATS pods mount the accounts ConfigMap at /etc/jetmesh-nats-accounts');
  // Every service connects to the chart's client Service: the release name of the install line.
  const release = /helm install (\S+) nats\/nats -n (\S+)/.exec(readFileSync(join(k8sDir, NATS_VALUES), 'utf8'));
  assert.ok(release !== null, 'the values file says how it is installed');
  const sidecars = ofKind('Deployment').flatMap((d) => list(at(d, 'spec.template.spec.containers'), 'containers').filter((c) => (at(c, 'command') as string[] | undefined)?.at(-1) === PROXY_ENTRY));
  for (const container of [...controlPlane(ofKind('Deployment')).map((d) => at(d, 'spec.template.spec.containers.0')), ...sidecars]) {
    const url = (list(at(container, 'env'), 'env') as Doc[]).find((e) => e.name === 'JETMESH_NATS_URL')?.value;
    assert.equal(url, `nats://${release[1]}.${release[2]}.svc:4222`);
  }
});

test('deploy.k8s.sidecar: the example app Deployment runs the proxy beside its app with variables the proxy reads, its identity, inbound port, probes and Secrets', async () => {
  const image = jetmeshImage();
  const apps = ofKind('Deployment').filter((d) => at(d, 'metadata.namespace') !== CONTROL_PLANE_NAMESPACE);
  assert.ok(apps.length >= 1, 'deploy/k8s has a Deployment with a sidecar');
  const { spec } = await serviceOf(PROXY_ENTRY);
  const { ProxyEnv, proxyConfigProblems, proxyName } = (await import(pathToFileURL(join(repoRoot, 'services', 'proxy', 'dist', 'src', 'env.js')).href)) as {
    ProxyEnv: EnvSpec;
    proxyConfigProblems: (c: unknown) => string[];
    proxyName: (c: unknown) => string;
  };
  assert.equal(spec, ProxyEnv);
  for (const deployment of apps) {
    const name = at(deployment, 'metadata.name') as string;
    const namespace = at(deployment, 'metadata.namespace') as string;
    const pod = obj(at(deployment, 'spec.template.spec'), `${name} pod`);
    const podName = `${name}-7d9f8-abcde`;
    const inNamespace = (kind: string): Doc[] => ofKind(kind).filter((d) => at(d, 'metadata.namespace') === namespace);
    const containers = list(pod.containers, `${name} containers`).map((c) => obj(c, 'container'));
    const proxies = containers.filter((c) => (c.command as string[] | undefined)?.at(-1) === PROXY_ENTRY);
    assert.equal(proxies.length, 1, `${name} has one sidecar`);
    const [proxy] = proxies;
    const apps = containers.filter((c) => c !== proxy);
    assert.equal(apps.length, 1, `${name} has one app container`);
    const [app] = apps;
    assert.ok(proxy !== undefined && app !== undefined);
    assert.equal(proxy.image, image, 'the sidecar runs the image compose builds');
    // The node flags `jetmesh proxy` starts it with (a small young generation: RSS).
    assert.deepEqual(proxy.command, ['node', ...PROXY_NODE_FLAGS, PROXY_ENTRY]);
    assert.ok(ofKind('Namespace').some((n) => at(n, 'metadata.name') === namespace), `namespace ${namespace} is created`);
    assert.ok(inNamespace('ServiceAccount').some((a) => at(a, 'metadata.name') === pod.serviceAccountName), `${name}'s ServiceAccount exists in ${namespace}`);
    assert.equal(at(pod, 'securityContext.runAsNonRoot'), true);

    // Secrets must be in the pod's own namespace; fieldRefs resolve as the kubelet would.
    const secrets = new Map(inNamespace('Secret').map((s) => [at(s, 'metadata.name') as string, obj(s.stringData ?? s.data, 'secret data')]));
    const fields: Record<string, string> = { 'metadata.name': podName, 'metadata.namespace': namespace, 'status.podIP': '10.244.1.7' };
    const env: Record<string, string> = {};
    for (const item of list(proxy.env, `${name} sidecar env`).map((e) => obj(e, 'env'))) {
      const variable = item.name as string;
      const ref = at(item, 'valueFrom.secretKeyRef') as { name: string; key: string } | undefined;
      const field = at(item, 'valueFrom.fieldRef.fieldPath') as string | undefined;
      if (ref !== undefined) {
        assert.ok(secrets.get(ref.name)?.[ref.key] !== undefined, `${name}: ${variable} names key ${ref.key} of Secret ${ref.name} in ${namespace}`);
        env[variable] = String(secrets.get(ref.name)?.[ref.key]);
      } else if (field !== undefined) {
        assert.ok(fields[field] !== undefined, `${name}: ${variable} from ${field}, which the test knows`);
        env[variable] = fields[field] ?? '';
      } else env[variable] = String(item.value);
    }
    const config = decodeAs({ name: 'proxy', spec: ProxyEnv }, env, `deploy/k8s ${name} sidecar`);
    assert.deepEqual(proxyConfigProblems(config), []);
    assert.equal(config.namespace, namespace);
    assert.equal(proxyName(config), podName, 'one WorkloadEntry per pod, named after it');
    assert.equal(config.serviceAccount, pod.serviceAccountName, 'the proxy asks for the identity of its pod\'s ServiceAccount');
    assert.equal(config.address, fields['status.podIP'], 'peers dial the pod IP');
    assert.equal(config.token !== undefined, true, 'a bootstrap token for the first certificate');
    assert.equal(env.JETMESH_NATS_USER, undefined);
    const bootstrap = mountedSecretFile(namespace, pod, proxy, String(config.natsCreds), `${name} sidecar`);
    assert.equal(bootstrap.key, 'proxy-bootstrap.creds', 'the sidecar starts as the shared bootstrap user; its own user comes from citadel');
    const labels = obj(at(deployment, 'spec.template.metadata.labels'), `${name} pod labels`);
    assert.deepEqual(config.labels, labels, 'the WorkloadEntry carries the pod labels');

    // The app listens on the port the proxy forwards to; the proxy's only container port is its inbound.
    const appPorts = list(app.ports, `${name} app ports`).map((p) => obj(p, 'port').containerPort);
    assert.ok(appPorts.includes(config.appPort), `the app listens on JETMESH_PROXY_APP_PORT=${String(config.appPort)}`);
    assert.deepEqual(list(proxy.ports, 'sidecar ports').map((p) => obj(p, 'port').containerPort), [config.inboundPort]);
    assert.ok(ALL_INTERFACES.includes(config.bindHost as string), 'the inbound listener is reachable from other pods');
    assert.equal(obj(app.env ? Object.fromEntries(list(app.env, 'app env').map((e) => [obj(e, 'env').name, obj(e, 'env').value])) : {}, 'app env').HTTP_PROXY, `http://127.0.0.1:${String(config.outboundPort)}`, 'the app calls out through the proxy');

    // Citadel's address is its Service port, and the name its certificate carries.
    const [caHost, caPort] = String(config.caAddress).split(':');
    const citadel = controlPlane(ofKind('Service')).find((s) => `${String(at(s, 'metadata.name'))}.${CONTROL_PLANE_NAMESPACE}.svc` === caHost);
    assert.ok(citadel !== undefined && list(at(citadel, 'spec.ports'), 'citadel ports').some((p) => obj(p, 'port').port === Number(caPort)), `${String(config.caAddress)} is citadel's Service port`);
    assert.equal(config.caServerName, caHost);

    // Probes ask the proxy's loopback admin port for the admin server's own paths.
    for (const [probe, path] of [['readinessProbe', AdminPaths.ready], ['livenessProbe', AdminPaths.health]] as const) {
      const command = (at(proxy, `${probe}.exec.command`) as string[] | undefined)?.join(' ') ?? '';
      assert.ok(command.includes(`http://127.0.0.1:${String(config.adminPort)}${path}'`), `${name} sidecar ${probe} asks ${path} on its admin port: ${command}`);
    }
    // State survives a container restart on a volume; the NetworkPolicy admits only the inbound port.
    const stateMount = list(proxy.volumeMounts, 'sidecar mounts').map((m) => obj(m, 'mount')).find((m) => m.mountPath === config.stateDir);
    assert.ok(stateMount !== undefined && list(pod.volumes, 'volumes').some((v) => obj(v, 'volume').name === stateMount.name), 'the state dir is a volume');
    const selects = (selector: unknown): boolean => Object.entries(obj(selector, 'selector')).every(([k, v]) => labels[k] === v);
    const policies = inNamespace('NetworkPolicy').filter((np) => selects(at(np, 'spec.podSelector.matchLabels')));
    assert.ok(policies.length > 0, `a NetworkPolicy covers ${name}`);
    const admitted = policies.flatMap((np) => list(at(np, 'spec.ingress'), 'ingress').flatMap((rule) => list(obj(rule, 'rule').ports, 'rule ports').map((p) => obj(p, 'port').port)));
    assert.deepEqual(admitted, [config.inboundPort], 'peers reach the proxy, not the app');
    assert.ok(inNamespace('PodDisruptionBudget').some((pdb) => selects(at(pdb, 'spec.selector.matchLabels'))), `a PodDisruptionBudget covers ${name}`);
  }
});

test('deploy.compose: 3 NATS nodes of the tested version running deploy/nats in operator mode on make-accounts.mjs\'s files; every service with only variables it reads and its own user\'s creds, its ports published, a health check on /readyz', async () => {
  const image = jetmeshImage();
  const natsVersion = testedNatsVersion();
  const nodes = Object.entries(composeServices).filter(([, s]) => String(obj(s, 'service').image).startsWith('nats:'));
  assert.equal(nodes.length, 3);
  // The header says how the account is made: the script's OUT_DIR and SERVER_DIR.
  const composeText = readFileSync(join(dockerDir, 'compose.yaml'), 'utf8');
  const made = /node deploy\/nats\/make-accounts\.mjs (\S+) (\S+)/.exec(composeText);
  assert.ok(made !== null, 'compose.yaml says how to run make-accounts.mjs');
  const [, outDir = '', serverDir = ''] = made;
  const out = mkdtempSync(join(tmpdir(), 'jetmesh-compose-accounts-'));
  try {
    execFileSync(process.execPath, [join(repoRoot, 'deploy', 'nats', 'make-accounts.mjs'), out, serverDir]);
    const written = new Set(readdirSync(out));
    /** A compose path (relative to deploy/docker) inside the script's OUT_DIR, as the file the script wrote there. */
    const generated = (source: string, where: string): string => {
      const relativeToRepo = join('deploy', 'docker', source).replace(/\/$/, '');
      assert.ok(relativeToRepo === outDir || relativeToRepo.startsWith(`${outDir}/`), `${where}: ${source} is in ${outDir}, where make-accounts.mjs writes`);
      const file = relativeToRepo.slice(outDir.length + 1);
      assert.ok(file === '' || written.has(file), `${where}: make-accounts.mjs writes ${file}`);
      return file;
    };
    const conf = readFileSync(join(out, 'cluster.conf'), 'utf8');
    assert.equal(conf, readFileSync(join(repoRoot, 'deploy', 'nats', 'cluster.conf.example'), 'utf8'), 'cluster.conf is deploy/nats/cluster.conf.example');
    assert.match(conf, /^include "accounts\.conf"$/m);
    assert.ok(readFileSync(join(out, 'accounts.conf'), 'utf8').includes(`operator: "${serverDir}/operator.jwt"`), 'accounts.conf names the operator JWT where the nodes mount it');
    const routeHosts = [...conf.matchAll(/nats-route:\/\/([^:\s]+):6222/g)].map((m) => m[1]);
    const aliases = nodes.flatMap(([, s]) => (at(s, 'networks.default.aliases') as string[] | undefined) ?? []);
    assert.deepEqual(aliases.sort(), [...routeHosts].sort(), 'every route of cluster.conf resolves to a node');
    for (const [name, s] of nodes) {
      const node = obj(s, name);
      assert.equal(node.image, `nats:${natsVersion}-alpine`);
      const [flag, file] = node.command as string[];
      assert.equal(flag, '-c');
      const mount = (node.volumes as string[]).map((v) => v.split(':')).find(([, target]) => file?.startsWith(`${target}/`));
      assert.ok(mount !== undefined, `${name}'s config file is on a mounted dir`);
      assert.equal(mount[1], serverDir, `${name} mounts the account where accounts.conf says`);
      assert.equal(generated(mount[0] ?? '', name), '', `${name} mounts the whole account dir`);
      assert.ok(written.has(file?.slice((mount[1] ?? '').length + 1) ?? ''), `${name} runs ${file}, which make-accounts.mjs writes`);
      const env = obj(node.environment, `${name} environment`);
      assert.deepEqual(Object.keys(env), ['JETMESH_NATS_SERVER_NAME'], `${name}: no password variables, the users are JWTs`);
      assert.ok(conf.includes('$JETMESH_NATS_SERVER_NAME') && env.JETMESH_NATS_SERVER_NAME === name);
    }

    const services = Object.entries(composeServices).filter(([, s]) => obj(s, 'service').image === image);
    assert.deepEqual(services.map(([n]) => n).sort(), ['citadel', 'console', 'galley', 'pilot', 'telemetry']);
    for (const [name, s] of services) {
      const svc = obj(s, name);
      const [entry] = svc.command as string[];
      const service = await serviceOf(entry ?? '');
      assert.equal(service.name, name);
      // env_file: a file the script writes, read as compose would (NAME=value lines).
      const envFiles = ((svc.env_file as string[] | undefined) ?? []).map((f) => generated(f, name));
      const fromFiles = Object.fromEntries(envFiles.flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])));
      const env = { ...fromFiles, ...Object.fromEntries(Object.entries(obj(svc.environment, `${name} environment`)).map(([k, v]) => [k, String(v)])) };
      const config = decodeAs(service, env, `compose ${name}`);
      for (const url of String(env.JETMESH_NATS_URL).split(',')) assert.ok(nodes.some(([n]) => url === `nats://${n}:4222`), `${name}: ${url} is a NATS node`);
      // Its own user's creds, a file the script wrote, mounted where JETMESH_NATS_CREDS says; nothing else of the account.
      const user = NATS_USER_OF[name] ?? name;
      assert.equal(env.JETMESH_NATS_USER, undefined);
      assert.equal(config.natsCreds, `/etc/jetmesh/nats/${user}.creds`);
      const mounts = ((svc.volumes as string[] | undefined) ?? []).map((v) => v.split(':'));
      assert.deepEqual(mounts.map(([source, target]) => [generated(source ?? '', name), target]), [[`${user}.creds`, config.natsCreds]], `${name} mounts only its own user's creds`);
      if (name === 'citadel') assert.ok(config.natsAccount !== undefined && config.natsSigningKey !== undefined, 'citadel mints the sidecars\' users');
      else assert.deepEqual(envFiles, [], `${name} reads no account secrets`);
      const { ports, hosts } = listeners(service, config);
      for (const published of (svc.ports as string[]) ?? []) {
        const inside = Number(published.split(':').at(-1));
        const variable = [...ports].find(([, p]) => p === inside)?.[0];
        assert.ok(variable !== undefined, `${name} publishes ${inside}, a port it listens on`);
        const host = hosts.get(variable.replace(/_PORT$/, '_HOST'));
        assert.ok(host !== undefined && ALL_INTERFACES.includes(host), `${name} listens on every interface for its published port ${inside}`);
      }
      const check = ((at(svc, 'healthcheck.test') as string[] | undefined) ?? []).join(' ');
      const probe = /http:\/\/127\.0\.0\.1:(\d+)(\/[a-z]+)/.exec(check);
      assert.ok(probe !== null, `${name} has an HTTP health check`);
      assert.equal(probe[2], AdminPaths.ready);
      assert.equal(Number(probe[1]), adminPortOf(service, config), `${name}'s health check asks its admin port`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
