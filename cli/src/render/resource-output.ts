import { renderTable } from './text-table.js';

export type OutputFormat = 'table' | 'yaml' | 'json';

interface StoredDocument {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string; readonly resourceVersion?: string };
  readonly spec: Record<string, unknown>;
}

/** The one column that tells kinds apart at a glance. */
const summary = (d: StoredDocument): [string, string] => {
  const spec = d.spec;
  switch (d.kind) {
    case 'VirtualService':
    case 'ServiceEntry':
      return ['HOSTS', JSON.stringify(spec.hosts ?? [])];
    case 'DestinationRule':
      return ['HOST', String(spec.host ?? '')];
    case 'WorkloadEntry':
      return ['ADDRESS', String(spec.address ?? '')];
    default:
      return ['', ''];
  }
};

/** Async only for `-o yaml`: the yaml package is loaded when asked for (~20 ms of every `get` otherwise). */
export const renderResources = async (
  docs: readonly StoredDocument[],
  format: OutputFormat,
  opts: { allNamespaces: boolean; single: boolean },
): Promise<string> => {
  if (format === 'json') return JSON.stringify(opts.single ? docs[0] : { apiVersion: 'v1', kind: 'List', items: docs }, null, 2) + '\n';
  if (format === 'yaml') return (await import('yaml')).stringify(opts.single ? docs[0] : { apiVersion: 'v1', kind: 'List', items: docs });
  if (docs.length === 0) return '';
  const label = summary(docs[0] as StoredDocument)[0];
  const header = [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'NAME', ...(label ? [label] : []), 'VERSION'];
  const rows = docs.map((d) => {
    const [, value] = summary(d);
    return [...(opts.allNamespaces ? [d.metadata.namespace] : []), d.metadata.name, ...(label ? [value] : []), d.metadata.resourceVersion ?? ''];
  });
  return renderTable(header, rows).join('\n') + '\n';
};

export type { StoredDocument };
