import type { ResourceRef } from '../resource.js';

/**
 * What an analyzer reports: Istio's analysis message shape (code, level, resource, text),
 * plus the path inside the resource it is about. Istio's codes where one exists (IST0101…),
 * Jetmesh's own (JM0001…) for checks Istio does not have.
 */
export type DiagnosticLevel = 'Error' | 'Warning' | 'Info';

export interface Diagnostic {
  readonly code: string;
  readonly name: string;
  readonly level: DiagnosticLevel;
  readonly ref: ResourceRef;
  /** Where in the resource, e.g. `spec.http[0].route[1].destination`; '' for the whole resource. */
  readonly path: string;
  readonly message: string;
}

interface MessageType {
  readonly code: string;
  readonly level: DiagnosticLevel;
}

/**
 * Every message Jetmesh's analyzers emit. Levels: what Istio's analyzer calls an Error is a
 * Warning here too, because anything that must be refused already is (by the webhook-grade
 * validation); analyzers only warn, and `--strict` turns warnings into errors. The one Error
 * is that refusal itself, for a proposed document `analyze` reads anyway (as istioctl does).
 */
export const DiagnosticTypes = {
  ReferencedResourceNotFound: { code: 'IST0101', level: 'Warning' },
  /** What validation refuses in a proposed document (apply would refuse it). */
  SchemaValidationError: { code: 'IST0106', level: 'Error' },
  ConflictingMeshGatewayVirtualServiceHosts: { code: 'IST0109', level: 'Warning' },
  MultipleSidecarsWithoutWorkloadSelectors: { code: 'IST0111', level: 'Warning' },
  VirtualServiceDestinationPortSelectorRequired: { code: 'IST0112', level: 'Warning' },
  NoMatchingWorkloadsFound: { code: 'IST0127', level: 'Warning' },
  VirtualServiceUnreachableRule: { code: 'IST0130', level: 'Warning' },
  VirtualServiceIneffectiveMatch: { code: 'IST0131', level: 'Info' },
  /** What Istio's validation webhook accepts but warns about (resources/*Warnings). */
  SchemaWarning: { code: 'IST0133', level: 'Warning' },
  ServiceEntryAddressesRequired: { code: 'IST0134', level: 'Warning' },
  ReferencedInternalGateway: { code: 'IST0165', level: 'Warning' },
  IneffectivePolicy: { code: 'IST0167', level: 'Warning' },
  DestinationRuleSubsetNotSelectWorkloads: { code: 'IST0173', level: 'Warning' },
  DestinationRuleHostNotFound: { code: 'IST0174', level: 'Warning' },
  ShadowedResource: { code: 'JM0001', level: 'Warning' },
  PlaintextToStrictMtls: { code: 'JM0003', level: 'Warning' },
} as const satisfies Record<string, MessageType>;

export type DiagnosticName = keyof typeof DiagnosticTypes;

export const diagnostic = (name: DiagnosticName, ref: ResourceRef, path: string, message: string): Diagnostic => ({
  code: DiagnosticTypes[name].code,
  name,
  level: DiagnosticTypes[name].level,
  ref,
  path,
  message,
});

/** `Warning [IST0101] (VirtualService default/reviews-route) Referenced host not found: "ratings"`, as istioctl prints it. */
export const formatDiagnostic = (d: Diagnostic, level: DiagnosticLevel = d.level): string =>
  `${level} [${d.code}] (${d.ref.kind} ${d.ref.namespace}/${d.ref.name}) ${d.message}`;

/** Whether `--strict` refuses a change that has this diagnostic: warnings and errors do, infos do not. */
export const failsStrict = (d: Diagnostic): boolean => d.level !== 'Info';

const LEVEL_ORDER: Record<DiagnosticLevel, number> = { Error: 0, Warning: 1, Info: 2 };

/** Stable order for output: by resource, then path, then code; the same input gives the same lines. */
export const compareDiagnostics = (a: Diagnostic, b: Diagnostic): number => {
  const ka = [a.ref.kind, a.ref.namespace, a.ref.name, a.path, a.code, a.message];
  const kb = [b.ref.kind, b.ref.namespace, b.ref.name, b.path, b.code, b.message];
  for (let i = 0; i < ka.length; i++) {
    const x = ka[i] ?? '';
    const y = kb[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level];
};
