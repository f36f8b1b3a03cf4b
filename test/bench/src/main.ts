import { renderBenchTable } from './bench-table.js';
import { convergenceBench } from './convergence.js';

// Benchmarks are not tests: they print figures beside a baseline measured in the same run.
const rows = [...(await convergenceBench())];
console.log(renderBenchTable(rows));
