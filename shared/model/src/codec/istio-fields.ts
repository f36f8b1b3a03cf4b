import * as t from 'io-ts';
import { bool, enumOf, fail, intRange, list, num, record, refine, str, struct } from './schema.js';

/** DNS-1123 label: what Kubernetes allows for namespaces and subset names. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: resource names. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `s` cannot be a namespace (or subset) name; undefined when it can. */
export const dnsLabelReason = (s: string): string | undefined =>
  s.length > 63 ? 'must be at most 63 characters' : DNS1123_LABEL.test(s) ? undefined : 'must be a DNS-1123 label (lower-case letters, digits and "-")';

/** Why `s` cannot be a resource name; undefined when it can. */
export const resourceNameReason = (s: string): string | undefined =>
  s.length > 253
    ? 'must be at most 253 characters'
    : DNS1123_SUBDOMAIN.test(s)
      ? undefined
      : 'must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")';

export const dnsLabel = refine(str, 'DNS1123Label', dnsLabelReason);
export const resourceName = refine(str, 'ResourceName', resourceNameReason);

/** A hostname as Istio accepts it: DNS labels, optionally a leading `*` wildcard label. */
export const hostnameReason = (h: string): string | undefined => {
  if (h === '*') return undefined;
  if (h.length === 0) return 'must not be empty';
  if (h.length > 255) return 'must be at most 255 characters';
  const labels = h.split('.');
  for (const [i, label] of labels.entries()) {
    if (i === 0 && label === '*') continue;
    if (label.includes('*')) return `invalid hostname "${h}": a wildcard is only allowed as the whole first label`;
    if (!/^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/.test(label)) return `invalid hostname "${h}"`;
  }
  return undefined;
};
export const hostname = refine(str, 'Hostname', hostnameReason);

/** Label keys follow Kubernetes: optional DNS prefix + `/` + name of ≤63 [A-Za-z0-9-_.]. */
export const labelKeyReason = (k: string): string | undefined => {
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && !DNS1123_SUBDOMAIN.test(prefix)) return `invalid label key "${k}": prefix must be a DNS-1123 subdomain`;
  if (name.length === 0 || name.length > 63 || !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name)) {
    return `invalid label key "${k}"`;
  }
  return undefined;
};
const labelValue = refine(str, 'LabelValue', (v) =>
  v === '' || (v.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v)) ? undefined : `invalid label value "${v}"`,
);
export const labels = record(labelValue, { name: 'Labels', keyCheck: labelKeyReason, reason: 'must be a map of strings (label: value)' });
export const stringMap = record(str, { name: 'StringMap', reason: 'must be a map of strings' });

/**
 * Durations as Istio's CRDs accept them (Go style: `10s`, `1.5s`, `100ms`, `1m30s`).
 * Kept as the user's string; `durationMs` turns them into numbers for derivation.
 */
const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 };
export const durationMs = (s: string): number | undefined => {
  if (s.length === 0) return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = DURATION_PART.exec(s); m !== null; m = DURATION_PART.exec(s)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
    consumed = DURATION_PART.lastIndex;
  }
  return consumed === s.length ? total : undefined;
};
export const duration = refine(str, 'Duration', (s) => {
  const ms = durationMs(s);
  if (ms === undefined) return `invalid duration "${s}": use a number with a unit, e.g. 10s, 1.5s, 100ms`;
  return ms < 1 ? 'must be at least 1ms' : undefined;
});

export const portNumber = intRange(1, 65535);

export const percent = refine(num, 'Percent', (n) => (n < 0 || n > 100 ? 'must be between 0 and 100' : undefined));
export const Percent = struct('Percent', { value: percent }, {});

/** Exactly one of exact / prefix / regex. */
const validRegex = refine(str, 'Regex', (s) => {
  try {
    new RegExp(s);
    return undefined;
  } catch {
    return `invalid regular expression "${s}"`;
  }
});
export const StringMatch = struct(
  'StringMatch',
  {},
  { exact: str, prefix: str, regex: validRegex },
  {
    check: (m) => {
      const n = [m.exact, m.prefix, m.regex].filter((v) => v !== undefined).length;
      return n === 1 ? [] : [{ path: '', reason: 'must set exactly one of exact, prefix, regex' }];
    },
  },
);
export type StringMatch = t.TypeOf<typeof StringMatch>;

export const PortSelector = struct('PortSelector', { number: portNumber }, {});

export const subsetName = dnsLabel;

export const Destination = struct('Destination', { host: hostname }, { subset: subsetName, port: PortSelector });
export type Destination = t.TypeOf<typeof Destination>;

export const WorkloadSelector = struct('WorkloadSelector', {}, { matchLabels: labels, labels });

export const exportTo = list(str);

export { bool, enumOf, fail, str };
