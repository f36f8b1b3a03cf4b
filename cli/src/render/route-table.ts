import { type RouteMatch, type StringMatch, type VersionedSnapshot, formatVersion } from '@jetmesh/model';
import { renderTable } from './text-table.js';

const stringMatch = (m: StringMatch): string =>
  m.exact !== undefined ? `=${m.exact}` : m.prefix !== undefined ? `^=${m.prefix}` : `~=${m.regex ?? ''}`;

/** `headers[end-user]=jason uri^=/api method=GET`; `*` for match-all. */
export const describeMatch = (m: RouteMatch): string =>
  [
    ...(m.uri ? [`uri${stringMatch(m.uri)}`] : []),
    ...(m.method ? [`method${stringMatch(m.method)}`] : []),
    ...(m.authority ? [`authority${stringMatch(m.authority)}`] : []),
    ...Object.entries(m.headers ?? {}).map(([k, v]) => `headers[${k}]${stringMatch(v)}`),
    ...Object.entries(m.queryParams ?? {}).map(([k, v]) => `query[${k}]${stringMatch(v)}`),
    ...(m.port !== undefined ? [`port=${m.port}`] : []),
  ].join(' ') || '*';

/** The human view of `jetmesh routes HOST`: rules in evaluation order, one line per destination. */
export const renderRouteTable = (v: VersionedSnapshot): string[] => {
  const s = v.snapshot;
  const rows: string[][] = [];
  s.routes.forEach((r, i) => {
    const match = r.match.length === 0 ? '*' : r.match.map(describeMatch).join(' | ');
    const extras = [
      ...(r.timeoutMs !== undefined ? [`timeout=${r.timeoutMs}ms`] : []),
      ...(r.retries ? [`retries=${r.retries.attempts}`] : []),
      ...(r.fault ? ['fault'] : []),
    ].join(' ');
    if (r.destinations.length === 0) {
      const target = r.redirect ? `redirect ${r.redirect.authority ?? ''}${r.redirect.uri ?? ''}` : r.directResponse ? `direct response ${r.directResponse.status}` : '-';
      rows.push([String(i + 1), match, target, '', '', extras]);
    }
    r.destinations.forEach((d, j) => {
      const endpoints = d.endpoints.map((e) => `${e.address}:${e.port}`).join(',') || '(none)';
      rows.push(j === 0 ? [String(i + 1), match, d.cluster, String(d.weight), endpoints, extras] : ['', '', d.cluster, String(d.weight), endpoints, '']);
    });
  });
  return [
    `HOST ${s.host}   VERSION ${formatVersion(v.version)} (config #${v.version.config}, registry #${v.version.registry})`,
    ...renderTable(['RULE', 'MATCH', 'DESTINATION', 'WEIGHT', 'ENDPOINTS', 'POLICY'], rows),
    ...s.warnings.map((w) => `Warning: ${w}`),
  ];
};
