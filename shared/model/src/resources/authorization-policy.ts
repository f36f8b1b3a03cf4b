import { emptySelectorWarning } from './schema-warning.js';
import * as t from 'io-ts';
import { enumOf, list, refine, str, struct } from '../codec/schema.js';
import { MatchLabelsSelector, PolicyTargetReference, ipSubnetReason, portNumberString } from '../codec/istio-fields.js';

/** security.istio.io AuthorizationPolicy: who may call which operation of the selected workloads. */

type Problems = Array<{ path: string; reason: string }>;

const value = refine(str, 'Value', (v) => (v === '' ? 'must not be empty' : undefined));
const values = list(value);
// Istio's CRD bounds these (as rules and from, 512, and targetRefs, 16).
const serviceAccounts = list(value, { maxItems: 16 });
const ipBlocks = list(refine(str, 'IPBlock', (v) => (v === '' ? 'must not be empty' : ipSubnetReason(v))));
const ports = list(refine(str, 'Port', (p) => (p === '' ? 'must not be empty' : portNumberString(p))));

/** `{*}` matches one path segment, `{**}` the rest of the path; anything else in braces is a typo. */
export const pathTemplateReason = (p: string): string | undefined => {
  if (p === '') return 'must not be empty';
  if (!p.includes('{') && !p.includes('}')) return undefined;
  const segments = p.split('/');
  for (const seg of segments) {
    if (!seg.includes('{') && !seg.includes('}')) continue;
    if (seg !== '{*}' && seg !== '{**}') return `invalid path template "${p}": a segment must be exactly {*} or {**}`;
  }
  // Istio: at most one {**}, and no {*} after it (it already took the rest).
  const last = segments.lastIndexOf('{**}');
  if (segments.filter((s) => s === '{**}').length > 1) return `invalid path template "${p}": {**} may appear once`;
  if (last >= 0 && segments.slice(last + 1).includes('{*}')) return `invalid path template "${p}": {**} must be the last operator ({*} after it)`;
  return undefined;
};
const paths = list(refine(str, 'Path', pathTemplateReason));

const SOURCE_FIELDS = [
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces',
  'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains',
] as const;
const Source = struct(
  'Source',
  {},
  {
    principals: values, notPrincipals: values, requestPrincipals: values, notRequestPrincipals: values,
    namespaces: values, notNamespaces: values, ipBlocks, notIpBlocks: ipBlocks, remoteIpBlocks: ipBlocks, notRemoteIpBlocks: ipBlocks,
    serviceAccounts, notServiceAccounts: serviceAccounts, trustDomains: values, notTrustDomains: values,
  },
  {
    check: (s) => {
      if (Object.keys(s).length === 0) return [{ path: '', reason: `must set at least one of ${SOURCE_FIELDS.join(', ')}` }];
      // Istio's CRD rule: a service account already names its namespace and principal.
      const accounts = s.serviceAccounts !== undefined || s.notServiceAccounts !== undefined;
      const identities = [s.principals, s.notPrincipals, s.namespaces, s.notNamespaces].some((v) => v !== undefined);
      return accounts && identities ? [{ path: '', reason: 'cannot set serviceAccounts with namespaces or principals' }] : [];
    },
  },
);
const Operation = struct(
  'Operation',
  {},
  { hosts: values, notHosts: values, ports, notPorts: ports, methods: values, notMethods: values, paths, notPaths: paths },
  { check: (o) => (Object.keys(o).length === 0 ? [{ path: '', reason: 'must set at least one of hosts, notHosts, ports, notPorts, methods, notMethods, paths, notPaths' }] : []) },
);

/** Condition keys Istio understands (`request.headers[x-user]`, `request.auth.claims[groups]`, …). */
const CONDITION_KEYS = [
  'source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'source.serviceAccount', 'request.auth.principal',
  'request.auth.audiences', 'request.auth.presenter', 'destination.ip', 'destination.port', 'connection.sni', 'source.trustDomain',
];
const conditionKeyReason = (k: string): string | undefined => {
  if (k === '') return 'must not be empty';
  if (CONDITION_KEYS.includes(k)) return undefined;
  if (/^request\.headers\[[^\]]+\]$/.test(k) || /^request\.auth\.claims(\[[^\]]+\])+$/.test(k) || k.startsWith('experimental.envoy.filters.')) return undefined;
  return `unknown condition key "${k}": use e.g. request.headers[<name>], request.auth.claims[<claim>], source.ip, source.namespace, destination.port`;
};
const valueOfKeyReason = (key: string, v: string): string | undefined => {
  if (['source.ip', 'remote.ip', 'destination.ip'].includes(key)) return ipSubnetReason(v);
  if (key === 'destination.port') return portNumberString(v);
  return undefined;
};
const Condition = struct('Condition', { key: refine(str, 'ConditionKey', conditionKeyReason) }, { values, notValues: values }, {
  check: (c) => {
    if (c.values === undefined && c.notValues === undefined) return [{ path: '', reason: `must set values or notValues for key ${c.key}` }];
    const problems: Problems = [];
    for (const field of ['values', 'notValues'] as const) {
      (c[field] ?? []).forEach((v, i) => {
        const reason = valueOfKeyReason(c.key, v);
        if (reason !== undefined) problems.push({ path: `${field}[${i}]`, reason });
      });
    }
    return problems;
  },
});

const Rule = struct('Rule', {}, {
  from: list(struct('From', { source: Source }, {}), { minItems: 1, maxItems: 512 }),
  to: list(struct('To', { operation: Operation }, {}), { minItems: 1 }),
  when: list(Condition),
});
export type AuthorizationRule = t.TypeOf<typeof Rule>;

export const AUTHORIZATION_ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const;

/** Only one way to say what a policy applies to. */
export const selectorTypeProblems = (p: { selector?: unknown; targetRef?: unknown; targetRefs?: unknown }): Problems =>
  [p.selector, p.targetRef, p.targetRefs].filter((x) => x !== undefined).length > 1 ? [{ path: '', reason: 'selector, targetRef and targetRefs are mutually exclusive' }] : [];

/** What a CUSTOM (external authorizer) rule cannot test: identities are checked after the authorizer runs. */
const CUSTOM_UNSUPPORTED_SOURCE = ['namespaces', 'notNamespaces', 'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals'] as const;

export const AuthorizationPolicySpec = struct(
  'AuthorizationPolicySpec',
  {},
  {
    selector: MatchLabelsSelector,
    targetRef: PolicyTargetReference,
    targetRefs: list(PolicyTargetReference, { maxItems: 16 }),
    rules: list(Rule, { maxItems: 512 }),
    action: enumOf('Action', AUTHORIZATION_ACTIONS),
    provider: struct('ExtensionProvider', { name: refine(str, 'ProviderName', (n) => (n === '' ? 'must not be empty' : undefined)) }, {}),
  },
  {
    check: (p) => {
      const problems: Problems = [...selectorTypeProblems(p)];
      const action = p.action ?? 'ALLOW';
      // Istio reads `rules: []` as no rules at all.
      const noRules = (p.rules ?? []).length === 0;
      if (action === 'DENY' && noRules) {
        problems.push({ path: '', reason: 'a DENY policy without rules never matches: add rules (an empty rule {} matches every request)' });
      }
      if (action === 'CUSTOM') {
        if (noRules) problems.push({ path: '', reason: 'a CUSTOM policy without rules never triggers: add rules (an empty rule {} matches every request)' });
        if (p.provider === undefined) problems.push({ path: 'provider', reason: 'required for action CUSTOM' });
        (p.rules ?? []).forEach((r, i) => {
          r.from?.forEach((f, j) =>
            CUSTOM_UNSUPPORTED_SOURCE.forEach((k) => {
              if (f.source[k] !== undefined) problems.push({ path: `rules[${i}].from[${j}].source.${k}`, reason: 'is not supported with action CUSTOM' });
            }),
          );
          r.when?.forEach((c, j) => {
            if (c.key === 'source.namespace' || c.key === 'source.principal' || c.key.startsWith('request.auth.')) {
              problems.push({ path: `rules[${i}].when[${j}].key`, reason: `${c.key} is not supported with action CUSTOM` });
            }
          });
        });
      } else if (p.provider !== undefined) {
        problems.push({ path: 'provider', reason: `only allowed with action CUSTOM (the action is ${action})` });
      }
      return problems;
    },
  },
);
export type AuthorizationPolicySpec = t.TypeOf<typeof AuthorizationPolicySpec>;

// Source fields Istio counts as usable on TCP (identities and addresses); the rest need HTTP.
const TCP_SOURCE_FIELDS = ['principals', 'notPrincipals', 'ipBlocks', 'notIpBlocks', 'namespaces', 'notNamespaces', 'remoteIpBlocks', 'notRemoteIpBlocks', 'serviceAccounts', 'notServiceAccounts'] as const;

/**
 * Istio's webhook warnings for an AuthorizationPolicy: an empty selector, and a DENY rule that
 * tests only HTTP attributes, which on a TCP port cannot be evaluated and so denies everything.
 */
export const authorizationPolicyWarnings = (p: AuthorizationPolicySpec): Array<{ path: string; reason: string }> => {
  const out = emptySelectorWarning('selector', p.selector, p.selector?.matchLabels);
  if (p.action !== 'DENY') return out;
  (p.rules ?? []).forEach((r, i) => {
    const fromExists = (r.from ?? []).length > 0;
    const toExists = (r.to ?? []).length > 0;
    const tcpInFrom = (r.from ?? []).some((f) => TCP_SOURCE_FIELDS.some((k) => f.source[k] !== undefined));
    const tcpInTo = (r.to ?? []).some((t) => t.operation.ports !== undefined || t.operation.notPorts !== undefined);
    if ((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo)) {
      out.push({
        path: `rules[${i}]`,
        reason: 'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port',
      });
    }
  });
  return out;
};
