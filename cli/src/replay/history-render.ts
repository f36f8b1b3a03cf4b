import type { HistoryEntry, HistoryResource } from '@jetmesh/model';
import { renderTable } from '../render/text-table.js';

const SHOWN_RESOURCES = 3;

const resource = (r: HistoryResource): string => `${r.action} ${r.kind} ${r.namespace}/${r.name}`;

const resources = (e: HistoryEntry): string =>
  e.resources.length <= SHOWN_RESOURCES
    ? e.resources.map(resource).join('; ')
    : `${e.resources.slice(0, SHOWN_RESOURCES - 1).map(resource).join('; ')}; … (+${e.resources.length - SHOWN_RESOURCES + 1} more)`;

/** `jetmesh history`: one row per change, oldest first. */
export const renderHistoryTable = (entries: readonly HistoryEntry[]): string[] =>
  renderTable(
    ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'RESOURCES', 'REASON'],
    entries.map((e) => [
      String(e.seq),
      e.at,
      e.actor,
      e.rollbackOf !== undefined ? `rollback to #${e.rollbackOf}` : e.action,
      resources(e),
      e.reason ?? '',
    ]),
  );
