import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { type ProtoDescriptor, descriptorPath, staleSources } from './proto-descriptor.js';

// Built code lives in shared/rpc/dist/src/, so the repository's proto/ is four levels up.
export const protoRoot = fileURLToPath(new URL('../../../../proto/', import.meta.url));
// Descriptors are written next to the built code by build-proto-descriptors.ts.
export const descriptorRoot = fileURLToPath(new URL('../', import.meta.url));

/** The options every Jetmesh .proto is loaded with: camelCase fields, uint64 as number, enums as names. */
export const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot],
};

const REBUILD = 'npm run build -w @jetmesh/rpc';

const readSource = (file: string): Buffer | undefined => {
  const path = `${protoRoot}${file}`;
  return existsSync(path) ? readFileSync(path) : undefined;
};

/**
 * Loads one file under proto/ (e.g. "jetmesh/config/v1/config.proto") from its build-time JSON descriptor:
 * parsing the .proto text cost every CLI command ~25 ms. A missing or outdated descriptor is a build bug.
 */
export function loadProtoFile(file: string): protoLoader.PackageDefinition {
  if (!existsSync(protoRoot)) throw new Error(`proto directory not found at ${protoRoot}: is proto/ shipped next to shared/?`);
  const path = `${descriptorRoot}${descriptorPath(file)}`;
  if (!existsSync(path)) throw new Error(`no descriptor for proto/${file} at ${path}: run ${REBUILD}`);
  const descriptor = JSON.parse(readFileSync(path, 'utf8')) as ProtoDescriptor;
  const stale = staleSources(descriptor, readSource);
  if (stale.length > 0) throw new Error(`proto/${stale.join(', proto/')} changed since ${path} was generated: run ${REBUILD}`);
  return protoLoader.fromJSON(descriptor.root, loaderOptions);
}
