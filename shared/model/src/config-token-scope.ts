import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { decodeWith, enumOf, list, str, struct } from './codec/schema.js';
import type { Invalid } from './invalid.js';

/*
 * What a config token (audience `jetmesh-config`, minted by citadel) lets its
 * holder do through galley: the verbs, in the namespaces. `*` as a namespace
 * means every namespace (and is what a listing across all namespaces needs).
 */

/** The audience of tokens for galley's config API. */
export const CONFIG_TOKEN_AUDIENCE = 'jetmesh-config';
export const ALL_NAMESPACES = '*';

export const configVerbs = ['apply', 'delete', 'read'] as const;
export type ConfigVerb = (typeof configVerbs)[number];

/** The claims beside `sub` that scope a config token. */
export const ConfigTokenScopeCodec = struct(
  'ConfigTokenScope',
  { namespaces: list(str, { minItems: 1 }), verbs: list(enumOf('ConfigVerb', configVerbs), { minItems: 1 }) },
  {},
);
export type ConfigTokenScope = t.TypeOf<typeof ConfigTokenScopeCodec>;

/** Reads the scope from a token's extra claims (unknown claims are ignored, they belong to other audiences). */
export function decodeConfigTokenScope(claims: Readonly<Record<string, unknown>>): Either<Invalid[], ConfigTokenScope> {
  return decodeWith(ConfigTokenScopeCodec, { namespaces: claims.namespaces, verbs: claims.verbs });
}

/** Whether the scope allows `verb` in `namespace` (`*` asks for every namespace at once). */
export const scopeAllows = (scope: ConfigTokenScope, verb: ConfigVerb, namespace: string): boolean =>
  scope.verbs.includes(verb) && (scope.namespaces.includes(ALL_NAMESPACES) || (namespace !== ALL_NAMESPACES && scope.namespaces.includes(namespace)));

/** The first (verb, namespace) pair of `wanted` the scope does not allow, in order. */
export function firstDenied(
  scope: ConfigTokenScope,
  wanted: ReadonlyArray<{ readonly verb: ConfigVerb; readonly namespace: string }>,
): { verb: ConfigVerb; namespace: string } | undefined {
  return wanted.find((w) => !scopeAllows(scope, w.verb, w.namespace));
}

/** Parses `--verbs apply,read` / `--namespaces a,b` style lists; an empty or unknown entry is a usage error. */
export function parseConfigTokenScope(namespaces: string, verbs: string): Either<Invalid[], ConfigTokenScope> {
  const split = (s: string): string[] => s.split(',').map((x) => x.trim());
  const decoded = decodeWith(ConfigTokenScopeCodec, { namespaces: split(namespaces), verbs: split(verbs) });
  if (isLeft(decoded)) return decoded;
  const empty = decoded.right.namespaces.findIndex((n) => n === '');
  return empty >= 0 ? left([{ path: `namespaces[${empty}]`, reason: 'must not be empty', code: 'REQUIRED' }]) : right(decoded.right);
}
