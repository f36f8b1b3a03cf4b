import { renderTable } from '../render/text-table.js';

export interface StatusRow {
  readonly service: string;
  readonly listensOn: string;
  readonly admin: string;
}

/** What `up` started, as the CLI's one table. */
export function renderStatusTable(rows: readonly StatusRow[]): string {
  return renderTable(['service', 'listens on', 'admin'], rows.map((r) => [r.service, r.listensOn, r.admin])).join('\n');
}
