import { BlockList, isIP } from 'node:net';
import type { AuthorizationPolicySpec } from '@jetmesh/model';
import { matchPathTemplate, containsPathTemplate } from './path-template.js';
import { headerOf, pathOnly, type RequestAttributes } from './request-attributes.js';

type Rule = NonNullable<AuthorizationPolicySpec['rules']>[number];
type Source = NonNullable<Rule['from']>[number]['source'];
type Operation = NonNullable<Rule['to']>[number]['operation'];
type Condition = NonNullable<Rule['when']>[number];

/** A policy selecting this workload, as the workload snapshot carries it (AppliedAuthorizationPolicy). */
export interface AuthorizationPolicyInput {
  /** `namespace/name`. */
  readonly source: string;
  readonly action: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  readonly rules: readonly Rule[];
  readonly provider?: string;
}

export interface AuthorizationResult {
  readonly decision: 'allow' | 'deny';
  /** The policy that decided (`ns/name`): the matching DENY/CUSTOM or ALLOW policy. */
  readonly policy?: string;
  /** An AUDIT policy matched: the access log records the request as audited. */
  readonly audit: boolean;
  readonly reason: string;
}

/** What the data plane answers a denied request with (Envoy's RBAC filter). */
export const DENIED_STATUS = 403;
export const DENIED_BODY = 'RBAC: access denied';

/**
 * Istio's evaluation order: CUSTOM, then DENY (any match denies), then ALLOW (when any ALLOW policy
 * exists a request must match one); AUDIT only marks. There is no external authorizer in this
 * proxy, so a request a CUSTOM policy selects is denied (Istio fails closed on a missing provider).
 */
export function authorize(policies: readonly AuthorizationPolicyInput[], req: RequestAttributes): AuthorizationResult {
  const audit = policies.some((p) => p.action === 'AUDIT' && policyMatches(p, req));
  for (const p of policies) {
    if (p.action === 'CUSTOM' && policyMatches(p, req)) {
      return { decision: 'deny', policy: p.source, audit, reason: `no external authorizer${p.provider !== undefined ? ` for provider "${p.provider}"` : ''}` };
    }
  }
  for (const p of policies) {
    if (p.action === 'DENY' && policyMatches(p, req)) return { decision: 'deny', policy: p.source, audit, reason: 'matched a DENY policy' };
  }
  const allows = policies.filter((p) => p.action === 'ALLOW');
  if (allows.length === 0) return { decision: 'allow', audit, reason: 'no ALLOW policy applies' };
  const allowed = allows.find((p) => policyMatches(p, req));
  return allowed !== undefined
    ? { decision: 'allow', policy: allowed.source, audit, reason: 'matched an ALLOW policy' }
    : { decision: 'deny', audit, reason: 'matched no ALLOW policy' };
}

export const policyMatches = (p: AuthorizationPolicyInput, req: RequestAttributes): boolean =>
  p.rules.some((r) => ruleMatches(r, req, p.action === 'ALLOW' ? 'allow' : 'widen', namespaceOf(p.source)));

/**
 * This proxy validates no JWT (RequestAuthentication), so `requestPrincipals` and `request.auth.*`
 * cannot be checked. Istio's rule for attributes it cannot enforce: an ALLOW rule using one is
 * dropped (allows less); in DENY/AUDIT the attribute alone is dropped (denies more).
 */
type Unsupported = 'allow' | 'widen';

const UNSUPPORTED_SOURCE = ['requestPrincipals', 'notRequestPrincipals'] as const;
const isUnsupportedKey = (key: string): boolean => key.startsWith('request.auth.') || key.startsWith('experimental.envoy.filters.');

function ruleMatches(rule: Rule, req: RequestAttributes, mode: Unsupported, policyNamespace: string): boolean {
  if (mode === 'allow' && usesUnsupported(rule)) return false;
  const from = rule.from ?? [];
  if (from.length > 0 && !from.some((f) => sourceMatches(f.source, req, policyNamespace))) return false;
  const to = rule.to ?? [];
  if (to.length > 0 && !to.some((t) => operationMatches(t.operation, req))) return false;
  return (rule.when ?? []).every((c) => isUnsupportedKey(c.key) || conditionMatches(c, req, policyNamespace));
}

const usesUnsupported = (rule: Rule): boolean =>
  (rule.from ?? []).some((f) => UNSUPPORTED_SOURCE.some((k) => f.source[k] !== undefined)) || (rule.when ?? []).some((c) => isUnsupportedKey(c.key));

/** A field set with values must have one match; notValues must have none; an unset field holds. */
const field = (values: readonly string[] | undefined, notValues: readonly string[] | undefined, one: (v: string) => boolean): boolean =>
  (values === undefined || values.some(one)) && (notValues === undefined || !notValues.some(one));

function sourceMatches(s: Source, req: RequestAttributes, policyNamespace: string): boolean {
  const principal = principalMatcher(req);
  const namespace = namespaceMatcher(req);
  const sa = serviceAccountMatcher(req, policyNamespace);
  const direct = ipMatcher(req.sourceIp);
  const remote = ipMatcher(req.remoteIp ?? req.sourceIp);
  return (
    field(s.principals, s.notPrincipals, principal) &&
    field(s.namespaces, s.notNamespaces, namespace) &&
    field(s.serviceAccounts, s.notServiceAccounts, sa) &&
    field(s.ipBlocks, s.notIpBlocks, direct) &&
    field(s.remoteIpBlocks, s.notRemoteIpBlocks, remote) &&
    field(s.trustDomains, s.notTrustDomains, trustDomainMatcher(req))
  );
}

function operationMatches(o: Operation, req: RequestAttributes): boolean {
  const path = pathOnly(req.path);
  return (
    field(o.hosts, o.notHosts, (h) => globMatch(h, req.authority, true)) &&
    field(o.ports, o.notPorts, (p) => Number(p) === req.port) &&
    field(o.methods, o.notMethods, (m) => globMatch(m, req.method, false)) &&
    field(o.paths, o.notPaths, (p) => pathMatches(p, path))
  );
}

function conditionMatches(c: Condition, req: RequestAttributes, policyNamespace: string): boolean {
  return field(c.values, c.notValues, conditionValue(c.key, req, policyNamespace));
}

function conditionValue(key: string, req: RequestAttributes, policyNamespace: string): (v: string) => boolean {
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header !== null) {
    const value = headerOf(req.headers, header[1] ?? '');
    return (v) => value !== undefined && globMatch(v, value, false);
  }
  switch (key) {
    case 'source.ip':
      return ipMatcher(req.sourceIp);
    case 'remote.ip':
      return ipMatcher(req.remoteIp ?? req.sourceIp);
    case 'destination.ip':
      return ipMatcher(req.destinationIp);
    case 'destination.port':
      return (v) => Number(v) === req.port;
    case 'source.namespace':
      return namespaceMatcher(req);
    case 'source.principal':
      return principalMatcher(req);
    case 'source.serviceAccount':
      return serviceAccountMatcher(req, policyNamespace);
    case 'source.trustDomain':
      return trustDomainMatcher(req);
    default:
      // connection.sni and anything newer: this proxy has no such attribute, so it is absent.
      return () => false;
  }
}

/** Istio's matcher for principals, hosts, methods and header values: `*` any non-empty, `*x` suffix, `x*` prefix, else exact. */
export function globMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (p === '*') return v !== '';
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return v === p;
}

/** Paths: templates (`{*}`, `{**}`), otherwise the glob rule; matched against the path without its query. */
export const pathMatches = (pattern: string, path: string): boolean =>
  containsPathTemplate(pattern) ? matchPathTemplate(pattern, path) : globMatch(pattern, path, false);

// Identities need an authenticated (mTLS) peer: without one nothing matches, and every not-list holds.
const principalMatcher = (req: RequestAttributes) => (v: string): boolean =>
  req.sourcePrincipal !== undefined && req.sourcePrincipal !== '' && globMatch(v, req.sourcePrincipal, false);

/** The peer's trust domain: the first part of its principal (`<td>/ns/<ns>/sa/<sa>`), as a glob. */
const trustDomainMatcher = (req: RequestAttributes) => (v: string): boolean =>
  req.sourcePrincipal !== undefined && req.sourcePrincipal !== '' && globMatch(v, req.sourcePrincipal.split('/')[0] ?? '', false);

// Istio: any-prefix, then /ns/<namespace, * as a wildcard>/, then anything, over the peer SPIFFE ID.
const namespaceMatcher = (req: RequestAttributes) => (v: string): boolean => {
  if (req.sourcePrincipal === undefined || req.sourcePrincipal === '') return false;
  const ns = v.split('*').map(escapeRegex).join('.*');
  return new RegExp(`^.*/ns/${ns}/.*$`).test(`spiffe://${req.sourcePrincipal}`);
};

/** Istio: `<sa>` (the policy's namespace) or `<ns>/<sa>` against `spiffe://<td>/ns/<ns>/…sa/<sa>`. */
const serviceAccountMatcher = (req: RequestAttributes, policyNamespace: string) => (v: string): boolean => {
  if (req.sourcePrincipal === undefined || req.sourcePrincipal === '') return false;
  const slash = v.indexOf('/');
  const [ns, sa] = slash === -1 ? [policyNamespace, v] : [v.slice(0, slash), v.slice(slash + 1)];
  return new RegExp(`^spiffe://.+/ns/${escapeRegex(ns)}/(.+/|)sa/${escapeRegex(sa)}(/.+)?$`).test(`spiffe://${req.sourcePrincipal}`);
};

const namespaceOf = (source: string): string => source.split('/')[0] ?? '';

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const BLOCKS = new Map<string, BlockList | null>();

/** An IP or CIDR (`10.0.0.0/8`, `2001:db8::/32`, `1.2.3.4`); an IPv4-mapped IPv6 peer matches its IPv4 blocks. */
export function ipInBlock(ip: string, block: string): boolean {
  let list = BLOCKS.get(block);
  if (list === undefined) {
    list = parseBlock(block);
    if (BLOCKS.size > 10_000) BLOCKS.clear();
    BLOCKS.set(block, list);
  }
  if (list === null) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const addr = mapped !== null ? (mapped[1] ?? ip) : ip;
  const family = isIP(addr);
  if (family === 0) return false;
  return list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

function parseBlock(block: string): BlockList | null {
  const [net = '', bits] = block.split('/');
  const family = isIP(net);
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  const list = new BlockList();
  list.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}

const ipMatcher = (ip: string | undefined) => (block: string): boolean => ip !== undefined && ipInBlock(ip, block);
