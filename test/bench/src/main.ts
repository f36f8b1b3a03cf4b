import { renderBenchTable } from './bench-table.js';
import { convergenceBench } from './convergence.js';
import { xdsScaleBench } from './xds-scale.js';
import { replayBench } from './replay.js';
import { galleyApplyBench } from './galley-apply.js';
import { caIssueBench } from './ca-issue.js';

// Benchmarks are not tests: they print figures beside a baseline measured in the same run.
const rows = [...(await convergenceBench())];
rows.push(...(await xdsScaleBench()));
rows.push(...(await replayBench()));
rows.push(...(await galleyApplyBench()));
rows.push(...(await caIssueBench()));
console.log(renderBenchTable(rows));
