import { emptySelectorWarning } from './schema-warning.js';
import * as t from 'io-ts';
import { bool, enumOf, list, refine, str, struct } from '../codec/schema.js';
import { MatchLabelsSelector, PolicyTargetReference, duration, headerNameReason } from '../codec/istio-fields.js';
import { selectorTypeProblems } from './authorization-policy.js';

/** security.istio.io RequestAuthentication: which JWTs the selected workloads accept, and where to find them. */

const nonEmpty = refine(str, 'NonEmpty', (v) => (v === '' ? 'must not be empty' : undefined));

const jwksUri = refine(str, 'JwksUri', (u) => {
  try {
    const url = new URL(u);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return `invalid jwksUri "${u}": must be an http or https URL`;
    return url.hostname === '' ? `invalid jwksUri "${u}": no host` : undefined;
  } catch {
    return `invalid jwksUri "${u}": not a URL`;
  }
});

/** An inline JSON Web Key Set must at least be a JSON object with a `keys` list. */
const jwks = refine(str, 'Jwks', (s) => {
  try {
    const parsed = JSON.parse(s) as unknown;
    return typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { keys?: unknown }).keys) ? undefined : 'must be a JSON Web Key Set: an object with a "keys" list';
  } catch {
    return 'must be a JSON Web Key Set (JSON), it does not parse';
  }
});

const headerName = refine(str, 'HeaderName', (h) => (h === '' ? 'must not be empty' : headerNameReason(h)));

const JWTRule = struct(
  'JWTRule',
  { issuer: nonEmpty },
  {
    audiences: list(nonEmpty),
    jwksUri,
    jwks,
    fromHeaders: list(struct('JWTHeader', { name: headerName }, { prefix: str })),
    fromParams: list(nonEmpty),
    fromCookies: list(nonEmpty),
    outputPayloadToHeader: headerName,
    forwardOriginalToken: bool,
    outputClaimToHeaders: list(struct('ClaimToHeader', { header: headerName, claim: nonEmpty }, {})),
    timeout: duration,
    spaceDelimitedClaims: list(nonEmpty, { maxItems: 64 }),
    presence: enumOf('JWTPresence', ['OPTIONAL', 'REQUIRED'] as const),
  },
);

export const RequestAuthenticationSpec = struct(
  'RequestAuthenticationSpec',
  {},
  { selector: MatchLabelsSelector, targetRef: PolicyTargetReference, targetRefs: list(PolicyTargetReference, { maxItems: 16 }), jwtRules: list(JWTRule, { maxItems: 4096 }) },
  { check: (r) => selectorTypeProblems(r) },
);
export type RequestAuthenticationSpec = t.TypeOf<typeof RequestAuthenticationSpec>;

/** A JSON Web Key holding private material: RSA/EC/OKP with `d`, or a symmetric (`oct`) key. */
const isPrivateKey = (k: unknown): boolean => typeof k === 'object' && k !== null && ('d' in k || (k as { kty?: unknown }).kty === 'oct');

/** Istio's webhook warnings for a RequestAuthentication: an empty selector, private keys in an inline JWKS. */
export const requestAuthenticationWarnings = (r: RequestAuthenticationSpec): Array<{ path: string; reason: string }> => [
  ...emptySelectorWarning('selector', r.selector, r.selector?.matchLabels),
  ...(r.jwtRules ?? []).flatMap((rule, i) => {
    if (rule.jwks === undefined) return [];
    const keys = (JSON.parse(rule.jwks) as { keys: unknown[] }).keys;
    return keys.flatMap((k, j) =>
      isPrivateKey(k) ? [{ path: `jwtRules[${i}].jwks`, reason: `jwks key at index ${j} contains private key material; only public keys are used for verification` }] : [],
    );
  }),
];
