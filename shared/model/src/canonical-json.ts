import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted and no whitespace, so equal values give equal bytes on every
 * replica: the basis of snapshot content hashes and of the ChangeSet hash chain.
 */
export const canonicalJson = (value: unknown): string => JSON.stringify(sortKeys(value));

const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
};

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

export const contentHash = (value: unknown): string => sha256Hex(canonicalJson(value));
