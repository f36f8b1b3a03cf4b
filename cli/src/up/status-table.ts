export interface StatusRow {
  readonly service: string;
  readonly listensOn: string;
  readonly admin: string;
}

/** Left-aligned columns, two spaces apart, with a header. */
export function renderStatusTable(rows: readonly StatusRow[]): string {
  const all: StatusRow[] = [{ service: 'service', listensOn: 'listens on', admin: 'admin' }, ...rows];
  const width = (pick: (r: StatusRow) => string) => Math.max(...all.map((r) => pick(r).length));
  const serviceWidth = width((r) => r.service);
  const listensWidth = width((r) => r.listensOn);
  return all
    .map((r) => `${r.service.padEnd(serviceWidth)}  ${r.listensOn.padEnd(listensWidth)}  ${r.admin}`.trimEnd())
    .join('\n');
}
