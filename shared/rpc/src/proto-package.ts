import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

// Built code lives in shared/rpc/dist/src/, so the repository's proto/ is four levels up.
export const protoRoot = fileURLToPath(new URL('../../../../proto/', import.meta.url));

/** The options every Jetmesh .proto is loaded with: camelCase fields, uint64 as number, enums as names. */
const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot],
};

/** Loads one file under proto/ (e.g. "jetmesh/config/v1/config.proto"); a missing file is a packaging bug. */
export function loadProtoFile(file: string): protoLoader.PackageDefinition {
  if (!existsSync(protoRoot)) throw new Error(`proto directory not found at ${protoRoot}: is proto/ shipped next to shared/?`);
  return protoLoader.loadSync(file, loaderOptions);
}
