import { canonicalJson } from '../canonical-json.js';
import { refOf, type VirtualService } from '../resource.js';
import type { HTTPMatchRequest } from '../resources/virtual-service.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';

/*
 * Rules are tried in order and the first match wins, so a rule after a catch-all, or one whose
 * every match an earlier rule already has, is never used (IST0130); a single match an earlier
 * rule already covers is dead weight (IST0131). The same checks as Istio's webhook warnings.
 */

interface Rule {
  readonly name?: string;
  readonly match?: ReadonlyArray<Record<string, unknown>>;
}

const ruleName = (r: Rule, i: number): string => (r.name !== undefined && r.name !== '' ? `"${r.name}"` : `#${i}`);
const matchName = (m: Record<string, unknown>, i: number): string => (typeof m.name === 'string' && m.name !== '' ? `"${m.name}"` : `#${i}`);

/** A match without its name: names do not change what traffic it takes. */
const matchKey = (m: Record<string, unknown>): string => {
  const { name: _name, ...rest } = m;
  return canonicalJson(rest);
};

interface PrefixMatch {
  readonly rule: string;
  readonly match: string;
  readonly prefix: string;
  /** Everything but the URI, each as `exact:x` / `prefix:x` so prefixes compare by string prefix. */
  readonly rest: Readonly<Record<string, string>>;
}

const asExactOrPrefix = (m: { exact?: string; prefix?: string } | undefined): string =>
  m?.exact !== undefined ? `exact:${m.exact}` : m?.prefix !== undefined ? `prefix:${m.prefix}` : '';

/** Only prefix-URI matches without regex parts are compared for overlap, as Istio does. */
const prefixMatch = (rule: string, m: HTTPMatchRequest, i: number): PrefixMatch | undefined => {
  const prefix = m.uri?.prefix;
  if (prefix === undefined) return undefined;
  const rest: Record<string, string> = {
    port: String(m.port ?? ''),
    method: asExactOrPrefix(m.method) || 'exact:GET',
    authority: asExactOrPrefix(m.authority),
  };
  for (const [k, v] of Object.entries(m.headers ?? {})) rest[`header:${k}`] = asExactOrPrefix(v);
  for (const [k, v] of Object.entries(m.queryParams ?? {})) rest[`query:${k}`] = asExactOrPrefix(v);
  for (const [k, v] of Object.entries(m.withoutHeaders ?? {})) rest[`without:${k}`] = asExactOrPrefix(v);
  return { rule, match: matchName(m as Record<string, unknown>, i), prefix, rest };
};

/** Whether every request `b` takes is already taken by the earlier `a`. */
const covers = (a: PrefixMatch, b: PrefixMatch): boolean => {
  if (!b.prefix.startsWith(a.prefix)) return false;
  const keys = new Set([...Object.keys(a.rest), ...Object.keys(b.rest)]);
  for (const k of keys) {
    const av = a.rest[k];
    const bv = b.rest[k];
    if (av === undefined || bv === undefined) return false;
    if (av !== bv && !(av.startsWith('prefix:') && bv.slice(bv.indexOf(':') + 1).startsWith(av.slice('prefix:'.length)))) return false;
  }
  return true;
};

const analyzeRules = (
  rules: readonly Rule[],
  unused: (rule: string, reason: string) => void,
  ineffective: (rule: string, match: string, dup: string) => void,
  prefixOf?: (rule: string, m: Record<string, unknown>, i: number) => PrefixMatch | undefined,
): void => {
  const seen = new Map<string, number>();
  let catchAll = -1;
  const prefixes: PrefixMatch[] = [];
  rules.forEach((r, i) => {
    const name = ruleName(r, i);
    const matchesAll = r.match === undefined || r.match.length === 0;
    if (catchAll >= 0) {
      unused(name, matchesAll ? 'only the last rule can have no matches' : `rule ${ruleName(rules[catchAll] ?? {}, catchAll)} before it has no matches and takes every request`);
    }
    if (matchesAll) {
      if (catchAll < 0) catchAll = i;
      return;
    }
    if (catchAll >= 0 || r.match === undefined) return;
    let duplicates = 0;
    r.match.forEach((m, j) => {
      const key = matchKey(m);
      const dup = seen.get(key);
      if (dup !== undefined) {
        ineffective(name, matchName(m, j), ruleName(rules[dup] ?? {}, dup));
        duplicates++;
        return;
      }
      seen.set(key, i);
      const p = prefixOf?.(name, m, j);
      if (p !== undefined) prefixes.push(p);
    });
    if (duplicates === r.match.length) unused(name, 'all matches used by prior rules');
  });
  for (let a = 0; a < prefixes.length; a++) {
    for (let b = a + 1; b < prefixes.length; b++) {
      const pa = prefixes[a];
      const pb = prefixes[b];
      // As Istio: matches of one rule are compared too (a later match covered by an earlier one never decides).
      if (pa === undefined || pb === undefined || pa.prefix === pb.prefix) continue;
      if (covers(pa, pb)) ineffective(pb.rule, `${pb.match} of prefix ${pb.prefix}`, `${pa.match} of prefix ${pa.prefix} on ${pa.rule}`);
    }
  }
};

export const analyzeUnreachableRules = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  for (const vs of view.focused('VirtualService') as readonly VirtualService[]) {
    const ref = refOf(vs);
    for (const [section, rules] of [
      ['http', vs.spec.http ?? []],
      ['tcp', vs.spec.tcp ?? []],
      ['tls', vs.spec.tls ?? []],
    ] as const) {
      const unused = (rule: string, reason: string): void => {
        out.push(diagnostic('VirtualServiceUnreachableRule', ref, `spec.${section}`, `VirtualService rule ${rule} not used (${reason}).`));
      };
      const ineffective = (rule: string, match: string, dup: string): void => {
        out.push(diagnostic('VirtualServiceIneffectiveMatch', ref, `spec.${section}`, `VirtualService rule ${rule} match ${match} is not used (duplicate/overlapping match in rule ${dup}).`));
      };
      analyzeRules(
        rules as readonly Rule[],
        unused,
        ineffective,
        section === 'http' ? (rule, m, i) => prefixMatch(rule, m as HTTPMatchRequest, i) : undefined,
      );
    }
  }
  return out;
};
