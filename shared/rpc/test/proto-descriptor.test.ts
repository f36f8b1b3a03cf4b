import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as protoLoader from '@grpc/proto-loader';
import { descriptorPath, staleSources, type ProtoDescriptor } from '../src/proto-descriptor.js';
import { generateProtoDescriptor } from '../src/proto-descriptor-generator.js';
import { descriptorRoot, loadProtoFile, loaderOptions, protoRoot } from '../src/proto-package.js';

const files = ['jetmesh/config/v1/config.proto', 'jetmesh/ca/v1/ca_admin.proto', 'jetmesh/ca/v1/bus_credentials.proto', 'istio/v1/auth/ca.proto'];

// What a client or server sees of a definition: method paths and streaming, and every message's shape.
const shape = (def: protoLoader.PackageDefinition): unknown =>
  Object.fromEntries(
    Object.entries(def).map(([name, d]) =>
      'format' in d
        ? [name, { format: d.format, type: d.type }]
        : [name, Object.fromEntries(Object.entries(d).map(([m, md]) => [m, { path: md.path, requestStream: md.requestStream, responseStream: md.responseStream, request: md.requestType.type, response: md.responseType.type }]))],
    ),
  );

for (const file of files) {
  test(`proto.descriptor: ${file} loads from its built descriptor exactly as parsing the .proto does`, () => {
    assert.deepEqual(shape(loadProtoFile(file)), shape(protoLoader.loadSync(file, loaderOptions)));
  });

  test(`proto.descriptor: the built descriptor of ${file} equals a fresh generation from proto/`, () => {
    const built = JSON.parse(readFileSync(`${descriptorRoot}${descriptorPath(file)}`, 'utf8')) as ProtoDescriptor;
    assert.deepEqual(built, JSON.parse(JSON.stringify(generateProtoDescriptor(file))));
  });
}

test('proto.descriptor: a message round-trips through the descriptor-loaded ConfigService', () => {
  const service = loadProtoFile('jetmesh/config/v1/config.proto')['jetmesh.config.v1.ConfigService'] as protoLoader.ServiceDefinition;
  const apply = service.Apply;
  assert.ok(apply !== undefined, 'ConfigService has Apply');
  const req = { yaml: 'kind: VirtualService', defaultNamespace: 'prod', reason: 'r', dryRun: true, strict: false, expectVersion: '7' };
  const back = apply.requestDeserialize(apply.requestSerialize(req)) as Record<string, unknown>;
  assert.deepEqual(Object.fromEntries(Object.keys(req).map((k) => [k, back[k]])), req);
});

test('proto.errors: a source edited after the build is named as stale', () => {
  const descriptor = generateProtoDescriptor('istio/v1/auth/ca.proto');
  const current = (f: string) => readFileSync(`${protoRoot}${f}`);
  assert.deepEqual(staleSources(descriptor, current), []);
  assert.deepEqual(staleSources(descriptor, (f) => Buffer.concat([current(f), Buffer.from('\n// edited\n')])), ['istio/v1/auth/ca.proto']);
  assert.deepEqual(staleSources(descriptor, () => undefined), ['istio/v1/auth/ca.proto']);
});
