import { xdsScaleBench } from './dist/src/xds-scale.js';
import { renderBenchTable } from './dist/src/bench-table.js';
const t0 = performance.now();
console.log(renderBenchTable(await xdsScaleBench()));
console.log('total s', ((performance.now() - t0) / 1000).toFixed(1));
process.exit(0);
