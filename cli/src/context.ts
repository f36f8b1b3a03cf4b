import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
// The formatter alone: the package's index would load the NATS client for every command.
import { decodeErrorPath } from '@jetmesh/bus/decode-errors';
import { meshServices, type ContextAddressField } from './up/service-table.js';

/** Where the CLI finds the mesh: the NATS server and the services' gRPC addresses. */
export interface MeshContext {
  readonly natsUrl: string;
  readonly galleyAddress: string;
  readonly pilotXdsAddress: string;
  /** Citadel's TLS gRPC (CA and admin API). */
  readonly citadelAddress: string;
  /** 'env' if any address came from a JETMESH_* variable, else 'context-file' if a file was read. */
  readonly source: 'env' | 'context-file' | 'default';
  /** The context file that was read, if any. */
  readonly file?: string;
  /** From the context file (a local `up` with NATS users), and only when the NATS URL came from it too: the CLI's .creds file. */
  readonly natsCredentials?: { readonly credsFile: string };
}

const ServiceEntry = t.type({ pid: t.number, adminUrl: t.string });

const ContextFileCodec = t.intersection([
  t.partial({ natsUrl: t.string, galleyAddress: t.string, pilotXdsAddress: t.string, citadelAddress: t.string }),
  t.partial({ supervisorPid: t.number, services: t.record(t.string, ServiceEntry) }),
  // The .creds file of the NATS user the CLI connects as (relative to the context file's directory).
  t.partial({ natsCredsFile: t.string }),
]);

/** `.jetmesh/context.json`: written by `jetmesh up`, or by hand with just the addresses. */
export type ContextFileContents = t.TypeOf<typeof ContextFileCodec>;

/** What `jetmesh up` records: the addresses, its own pid and each service's. */
export interface UpContext {
  readonly natsUrl: string;
  readonly galleyAddress: string;
  readonly pilotXdsAddress: string;
  readonly citadelAddress: string;
  readonly supervisorPid: number;
  readonly services: Readonly<Record<string, { readonly pid: number; readonly adminUrl: string }>>;
  readonly natsCredsFile?: string;
}

export const CONTEXT_DIR = '.jetmesh';
export const CONTEXT_FILE_NAME = 'context.json';
export const CONTEXT_ENV = 'JETMESH_CONTEXT';

const addressEnv = {
  natsUrl: 'JETMESH_NATS_URL',
  galleyAddress: 'JETMESH_GALLEY_ADDRESS',
  pilotXdsAddress: 'JETMESH_PILOT_XDS_ADDRESS',
  citadelAddress: 'JETMESH_CITADEL_ADDRESS',
} as const;

type AddressField = keyof typeof addressEnv;

function defaultServiceAddress(field: ContextAddressField): string {
  const spec = meshServices.find((s) => s.contextField === field);
  if (spec === undefined) throw new Error(`no service in the table provides ${field}`);
  return `127.0.0.1:${spec.defaultPort}`;
}

export const defaultAddresses: Readonly<Record<AddressField, string>> = {
  natsUrl: 'nats://127.0.0.1:4222',
  galleyAddress: defaultServiceAddress('galleyAddress'),
  pilotXdsAddress: defaultServiceAddress('pilotXdsAddress'),
  citadelAddress: defaultServiceAddress('citadelAddress'),
};

/** A context file that is missing (when named explicitly) or not a valid context. */
export class ContextFileError extends Error {
  override readonly name = 'ContextFileError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`context file ${file}: ${reason}`);
  }
}

export function contextFilePath(dir: string): string {
  return join(dir, CONTEXT_DIR, CONTEXT_FILE_NAME);
}

/** JETMESH_CONTEXT if set, else the nearest .jetmesh/context.json from `cwd` upwards. */
export function findContextFile(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const explicit = env[CONTEXT_ENV];
  if (explicit !== undefined && explicit !== '') return resolve(cwd, explicit);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = contextFilePath(dir);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function readContextFile(file: string): E.Either<ContextFileError, ContextFileContents> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return E.left(new ContextFileError(file, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return E.left(new ContextFileError(file, `is not valid JSON (${(err as Error).message})`));
  }
  const decoded = ContextFileCodec.decode(json);
  if (E.isRight(decoded)) return decoded;
  // Field names only (array positions dropped): the hint says what each kind of field must be.
  const fields = decoded.left.map((e) => decodeErrorPath(e).replace(/(^|\.)\d+(?=\.|$)/g, '').replace(/^\./, ''));
  const named = [...new Set(fields.filter((f) => f !== ''))];
  return E.left(
    new ContextFileError(file, named.length > 0 ? `invalid ${named.join(', ')} (expected strings for addresses, numbers for pids)` : 'must be a JSON object'),
  );
}

/** Each address from its env variable, else the context file, else the default. */
export function loadContext(env: NodeJS.ProcessEnv, cwd: string): E.Either<ContextFileError, MeshContext> {
  const file = findContextFile(env, cwd);
  const contents = file === undefined ? E.right<ContextFileError, ContextFileContents>({}) : readContextFile(file);
  if (E.isLeft(contents)) return contents;
  const fromEnv = (field: AddressField) => {
    const value = env[addressEnv[field]];
    return value !== undefined && value !== '' ? value : undefined;
  };
  const pick = (field: AddressField) => fromEnv(field) ?? contents.right[field] ?? defaultAddresses[field];
  const anyEnv = (Object.keys(addressEnv) as AddressField[]).some((f) => fromEnv(f) !== undefined);
  const { natsCredsFile } = contents.right;
  // Credentials for another server than the one named would only be refused there.
  const natsCredentials =
    file !== undefined && fromEnv('natsUrl') === undefined && contents.right.natsUrl !== undefined && natsCredsFile !== undefined
      ? { natsCredentials: { credsFile: resolve(dirname(file), natsCredsFile) } }
      : {};
  return E.right({
    natsUrl: pick('natsUrl'),
    galleyAddress: pick('galleyAddress'),
    pilotXdsAddress: pick('pilotXdsAddress'),
    citadelAddress: pick('citadelAddress'),
    source: anyEnv ? 'env' : file !== undefined ? 'context-file' : 'default',
    ...(file !== undefined ? { file } : {}),
    ...natsCredentials,
  });
}

/** loadContext for the CLI's edge: a bad context file throws ContextFileError, whose message names the file. */
export function resolveContext(env: NodeJS.ProcessEnv, cwd: string): MeshContext {
  const loaded = loadContext(env, cwd);
  if (E.isLeft(loaded)) throw loaded.left;
  return loaded.right;
}

/** Writes `<dir>/.jetmesh/context.json` atomically (readers never see half a file); returns its path. */
export function writeContext(dir: string, ctx: UpContext | ContextFileContents): string {
  const file = contextFilePath(dir);
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(ctx, null, 2)}\n`);
  renameSync(temp, file);
  return file;
}

export function removeContext(dir: string): void {
  rmSync(contextFilePath(dir), { force: true });
}
