/** One row of a benchmark table: the figure, the baseline measured in the same run, their ratio. */
export interface BenchRow {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly baselineName: string;
  readonly baseline: number;
  readonly unit: string;
}

const fmt = (n: number): string => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(3)) : 'n/a');

export const renderBenchTable = (rows: readonly BenchRow[]): string => {
  const header = ['bench', 'metric', 'value', 'baseline', 'baseline value', 'ratio'];
  const body = rows.map((r) => [r.bench, r.metric, `${fmt(r.value)} ${r.unit}`, r.baselineName, `${fmt(r.baseline)} ${r.unit}`, `${fmt(r.value / r.baseline)}×`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
};
