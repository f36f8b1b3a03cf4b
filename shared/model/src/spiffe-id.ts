import { left, right, type Either } from 'fp-ts/lib/Either.js';

/** Who a workload is: a Kubernetes-style service account in a namespace of one trust domain. */
export interface WorkloadIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

const MAX_SPIFFE_ID_LENGTH = 2048;
// SPIFFE: trust domain is lowercase letters, digits, '.', '-', '_'.
const trustDomainPattern = /^[a-z0-9._-]{1,255}$/;
// Namespaces are DNS-1123 labels; service accounts DNS-1123 subdomains (Kubernetes' rules).
const labelPattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const subdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const trustDomainReason = (td: string): string | undefined =>
  trustDomainPattern.test(td) ? undefined : 'trust domain must be 1-255 of a-z 0-9 . - _';

export const namespaceReason = (ns: string): string | undefined =>
  labelPattern.test(ns) ? undefined : `namespace "${ns}" must be a DNS-1123 label (a-z 0-9 -, at most 63)`;

export const serviceAccountReason = (sa: string): string | undefined =>
  sa.length <= 253 && subdomainPattern.test(sa) ? undefined : `service account "${sa}" must be a DNS-1123 subdomain (a-z 0-9 - ., at most 253)`;

/** spiffe://<trust-domain>/ns/<namespace>/sa/<service-account> */
export const spiffeId = (id: WorkloadIdentity): string => `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;

/** The identity a SPIFFE ID names, or why the text is not one Jetmesh issues. */
export function parseSpiffeId(text: string): Either<string, WorkloadIdentity> {
  const shape = 'expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>';
  if (text.length > MAX_SPIFFE_ID_LENGTH) return left(`SPIFFE ID longer than ${MAX_SPIFFE_ID_LENGTH} characters`);
  const match = /^spiffe:\/\/([^/]*)\/ns\/([^/]*)\/sa\/([^/]*)$/.exec(text);
  if (match === null) return left(`"${text}" is not a workload SPIFFE ID (${shape})`);
  const [, trustDomain = '', namespace = '', serviceAccount = ''] = match;
  const reason = trustDomainReason(trustDomain) ?? namespaceReason(namespace) ?? serviceAccountReason(serviceAccount);
  return reason === undefined ? right({ trustDomain, namespace, serviceAccount }) : left(`"${text}": ${reason}`);
}
