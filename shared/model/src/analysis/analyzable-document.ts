import { type Either, isRight, left, right } from 'fp-ts/lib/Either.js';
import { withRulesRelaxed } from '../codec/schema.js';
import type { Invalid } from '../invalid.js';
import { decodeResource, type MeshResource } from '../resource.js';

/** A proposed document as analysis reads it: the resource, and what Jetmesh's validation refuses in it (none when valid). */
export interface AnalyzableDocument {
  readonly resource: MeshResource;
  readonly problems: readonly Invalid[];
}

/**
 * Decodes a document for `analyze`. A valid one is its resource; one validation refuses is read
 * as far as its shape allows (istioctl analyze runs its analyzers over what its webhook would
 * refuse and reports the refusal as IST0106), carrying the refusal's problems. Left only when
 * even that reading fails (unknown kind, a required field of the wrong type, not an object).
 */
export const decodeAnalyzable = (doc: unknown, defaultNamespace: string): Either<Invalid[], AnalyzableDocument> => {
  const strict = decodeResource(doc, defaultNamespace);
  if (isRight(strict)) return right({ resource: strict.right.resource, problems: [] });
  const relaxed = withRulesRelaxed(() => decodeResource(withSpec(doc), defaultNamespace));
  // A name is what findings are reported on: a document without one is not read (its zero value, '', names nothing).
  return isRight(relaxed) && relaxed.right.resource.metadata.name !== '' ? right({ resource: relaxed.right.resource, problems: strict.left }) : left(strict.left);
};

/** A missing spec reads as the empty one, as Istio's proto conversion reads it. */
const withSpec = (doc: unknown): unknown => {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return doc;
  const u = doc as Record<string, unknown>;
  return u.spec === undefined || u.spec === null ? { ...u, spec: {} } : u;
};
