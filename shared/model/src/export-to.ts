/** Istio's exportTo value for "every namespace". */
export const EVERY_NAMESPACE = '*';

/** The namespaces a resource is visible in, as Istio reads exportTo: unset (or naming `*`) is everywhere, `.` its own namespace. */
export const exportScopes = (exportTo: readonly string[] | undefined, ownNamespace: string): string[] =>
  exportTo === undefined || exportTo.length === 0 || exportTo.includes(EVERY_NAMESPACE)
    ? [EVERY_NAMESPACE]
    : [...new Set(exportTo.map((e) => (e === '.' ? ownNamespace : e)))];

/** Whether a resource with these scopes is visible from `namespace`. */
export const visibleFrom = (scopes: readonly string[], namespace: string): boolean => scopes.includes(EVERY_NAMESPACE) || scopes.includes(namespace);
