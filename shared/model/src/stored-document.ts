import type { StoredResource } from './mesh-state.js';
import { encodeResource } from './resource.js';

/**
 * A stored resource as `get` shows it: the canonical document with `metadata.resourceVersion`
 * (the sequence that last changed it). Galley's Get/List and the CLI's replayed `at … get`
 * print the same bytes for the same state.
 */
export const storedDocument = (stored: StoredResource): Record<string, unknown> => {
  const encoded = encodeResource(stored.resource);
  return { ...encoded, metadata: { ...(encoded.metadata as object), resourceVersion: String(stored.resourceVersion) } };
};
