/**
 * Why citadel refused a request: where (a path such as `csr.subjectAltName` or
 * `validity_duration`), why (a sentence for the caller), and a code that says
 * which gRPC status it becomes and labels the denial metric.
 */
export interface CaRejection {
  readonly path: string;
  readonly reason: string;
  readonly code: CaRejectionCode;
}

export const invalidArgumentCodes = [
  'MALFORMED_CSR',
  'BAD_CSR_SIGNATURE',
  'WEAK_KEY',
  'UNSUPPORTED_KEY',
  'UNSUPPORTED_ALGORITHM',
  'CA_REQUESTED',
  'BAD_SAN',
  'BAD_VALIDITY',
  'VALIDITY_TOO_LONG',
  'BAD_REQUEST',
] as const;

export const unauthenticatedCodes = [
  'NO_CREDENTIAL',
  'TOKEN_EXPIRED',
  'TOKEN_AUDIENCE',
  'TOKEN_SIGNATURE',
  'TOKEN_INVALID',
  'CERT_UNTRUSTED',
  'CERT_EXPIRED',
  'ADMIN_UNAUTHENTICATED',
] as const;

export const permissionDeniedCodes = ['IDENTITY_MISMATCH', 'FOREIGN_TRUST_DOMAIN'] as const;

export const failedPreconditionCodes = ['ROTATION_IN_PROGRESS', 'ROOT_PLUGGED_IN', 'NO_BUS_ACCOUNT'] as const;

export type CaRejectionCode =
  | (typeof invalidArgumentCodes)[number]
  | (typeof unauthenticatedCodes)[number]
  | (typeof permissionDeniedCodes)[number]
  | (typeof failedPreconditionCodes)[number];

export type RejectionStatus = 'INVALID_ARGUMENT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'FAILED_PRECONDITION';

const statusByCode = new Map<CaRejectionCode, RejectionStatus>([
  ...invalidArgumentCodes.map((c) => [c, 'INVALID_ARGUMENT'] as const),
  ...unauthenticatedCodes.map((c) => [c, 'UNAUTHENTICATED'] as const),
  ...permissionDeniedCodes.map((c) => [c, 'PERMISSION_DENIED'] as const),
  ...failedPreconditionCodes.map((c) => [c, 'FAILED_PRECONDITION'] as const),
]);

export const rejection = (path: string, code: CaRejectionCode, reason: string): CaRejection => ({ path, reason, code });

export const formatRejection = (r: CaRejection): string => (r.path === '' ? r.reason : `${r.path}: ${r.reason}`);

// Authentication outranks authorization outranks input problems: a caller is
// told it is unknown before it learns anything about what it sent.
const precedence: readonly RejectionStatus[] = ['UNAUTHENTICATED', 'PERMISSION_DENIED', 'FAILED_PRECONDITION', 'INVALID_ARGUMENT'];

/** The one status a list of rejections becomes. */
export function statusOfRejections(rejections: readonly CaRejection[]): RejectionStatus {
  const statuses = new Set(rejections.map((r) => statusByCode.get(r.code) ?? 'INVALID_ARGUMENT'));
  return precedence.find((s) => statuses.has(s)) ?? 'INVALID_ARGUMENT';
}
