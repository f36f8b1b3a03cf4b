/**
 * What Istio's validation webhook accepts but warns about (its `Warning`s, pkg/config/validation):
 * the resource is valid, probably not what its author meant. `path` is inside the resource
 * (`spec.servers[0].tls`), `reason` says it in the meaning of Istio's own words.
 */
export interface SchemaWarning {
  readonly path: string;
  readonly reason: string;
}

/** Istio's warning for a selector with no labels (`selector: {}`): it selects the whole namespace. */
export const EMPTY_SELECTOR = 'workload selector specified without labels';

/** A selector given but naming no label, as Istio's validateWorkloadSelector sees it. */
export const emptySelectorWarning = (path: string, selector: { readonly [k: string]: unknown } | undefined, labels: Readonly<Record<string, string>> | undefined, prefix = ''): SchemaWarning[] =>
  selector !== undefined && Object.keys(labels ?? {}).length === 0 ? [{ path, reason: `${prefix}${EMPTY_SELECTOR}` }] : [];
