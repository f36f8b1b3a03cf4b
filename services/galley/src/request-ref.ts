import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { dnsLabelReason, invalid, kindFromName, resourceKindNames, resourceNameReason, type Invalid, type ResourceRef } from '@jetmesh/model';
import { inDocument } from './document-label.js';

/** Why `namespace` cannot name a namespace, or undefined when it can. */
export const namespaceProblem = (namespace: string): string | undefined => dnsLabelReason(namespace);

/** A resource named by a client: any kind spelling kubectl accepts (`vs`, `virtualservices`), namespace defaulted. */
export interface RefInput {
  readonly kind?: unknown;
  readonly namespace?: unknown;
  readonly name?: unknown;
}

/** Where the three parts sit in the client's input, for error paths. */
export interface RefPaths {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export const refFieldPaths: RefPaths = { kind: 'kind', namespace: 'namespace', name: 'name' };
export const documentRefPaths: RefPaths = { kind: 'kind', namespace: 'metadata.namespace', name: 'metadata.name' };

const text = (u: unknown): string => (typeof u === 'string' ? u : '');

/** A client's resource name as a model ref, or every problem with it under `label`. */
export const resolveRef = (
  input: RefInput,
  defaultNamespace: string,
  label: string,
  paths: RefPaths = refFieldPaths,
): Either<Invalid[], ResourceRef> => {
  const problems: Invalid[] = [];
  const kindText = text(input.kind);
  const kind = kindFromName(kindText);
  if (kindText === '') problems.push(invalid(inDocument(label, paths.kind), 'required', 'REQUIRED'));
  else if (kind === undefined) problems.push(invalid(inDocument(label, paths.kind), `unknown kind "${kindText}": expected one of ${resourceKindNames.join(', ')}`, 'UNKNOWN_KIND'));
  const name = text(input.name);
  const badName = name === '' ? 'required' : resourceNameReason(name);
  if (badName !== undefined) problems.push(invalid(inDocument(label, paths.name), badName, name === '' ? 'REQUIRED' : 'INVALID'));
  const namespace = text(input.namespace) === '' ? defaultNamespace : text(input.namespace);
  const badNamespace = namespaceProblem(namespace);
  if (badNamespace !== undefined) problems.push(invalid(inDocument(label, paths.namespace), badNamespace));
  if (problems.length > 0 || kind === undefined) return left(problems);
  return right({ kind, namespace, name });
};
