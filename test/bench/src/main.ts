import { type BenchRow, renderBenchTable } from './bench-table.js';
import { caIssueBench } from './ca-issue.js';
import { convergenceBench } from './convergence.js';
import { galleyApplyBench } from './galley-apply.js';
import { haBench, haFailoverBench } from './ha.js';
import { replayBench } from './replay.js';
import { xdsScaleBench } from './xds-scale.js';
import { xdsRouteBench } from './xds-route.js';
import { proxyBench } from './proxy.js';
import { telemetryBench } from './telemetry.js';

// Benchmarks are not tests: they print figures beside a baseline measured in the same run.
// `npm run bench` runs them all; `npm run bench -- convergence replay` runs the ones named;
// `--quick` runs each at sizes that end the whole run within a minute (bench-mode.ts).
const benches: Record<string, () => Promise<BenchRow[]>> = {
  convergence: convergenceBench,
  'xds-scale': xdsScaleBench,
  'xds-route': xdsRouteBench,
  replay: replayBench,
  'galley-apply': galleyApplyBench,
  'ca-issue': caIssueBench,
  proxy: proxyBench,
  telemetry: telemetryBench,
  ha: haBench,
  'ha-failover': haFailoverBench,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknown = wanted.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}: choose from ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
const rows: BenchRow[] = [];
for (const [name, run] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.error(`running ${name}…`);
  rows.push(...(await run()));
}
console.log(renderBenchTable(rows));
