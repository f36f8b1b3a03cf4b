import { refOf } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';

/** Istio's namespace pattern: `*`, `prefix*`, `*suffix` or an exact name (case-insensitive). */
const namespaceMatches = (pattern: string, namespace: string): boolean => {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return namespace.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return namespace.startsWith(pattern.slice(0, -1));
  return pattern.toLowerCase() === namespace.toLowerCase();
};

/**
 * An AuthorizationPolicy naming a namespace that does not exist (IST0101), checked only when the
 * input says which namespaces exist (Kubernetes Namespace objects beside it in `analyze -f`).
 */
export const analyzePolicyNamespaces = (view: MeshView): Diagnostic[] => {
  const namespaces = view.namespaces;
  if (namespaces === undefined) return [];
  const out: Diagnostic[] = [];
  for (const ap of view.focused('AuthorizationPolicy')) {
    ap.spec.rules?.forEach((rule, i) =>
      rule.from?.forEach((from, j) => {
        for (const field of ['namespaces', 'notNamespaces'] as const) {
          from.source[field]?.forEach((ns, k) => {
            if (!namespaces.some((n) => namespaceMatches(ns, n))) {
              out.push(diagnostic('ReferencedResourceNotFound', refOf(ap), `spec.rules[${i}].from[${j}].source.${field}[${k}]`, `Referenced namespace not found: "${ns}"`));
            }
          });
        }
      }),
    );
  }
  return out;
};
