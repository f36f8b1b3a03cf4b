import type { YamlDocument } from './yaml-documents.js';

const stringField = (o: unknown, key: string): string | undefined => {
  if (typeof o !== 'object' || o === null) return undefined;
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/**
 * How errors name a document: `document 2 (VirtualService default/reviews)` from what it says
 * about itself, even when it does not decode; `document 2 (line 14)` when it names no resource.
 */
export const documentLabel = (doc: YamlDocument, defaultNamespace: string): string => {
  const kind = stringField(doc.content, 'kind');
  const metadata = typeof doc.content === 'object' && doc.content !== null ? (doc.content as Record<string, unknown>).metadata : undefined;
  const name = stringField(metadata, 'name');
  if (kind === undefined || name === undefined) return `document ${doc.number} (line ${doc.line})`;
  return `document ${doc.number} (${kind} ${stringField(metadata, 'namespace') ?? defaultNamespace}/${name})`;
};

/** Prefixes an error path with the document it is in, `label: path`. */
export const inDocument = (label: string, path: string): string => (path === '' ? label : `${label}: ${path}`);
