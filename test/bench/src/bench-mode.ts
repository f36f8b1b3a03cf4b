/** `npm run bench -- --quick` (or BENCH_QUICK=1): every bench at sizes that let the whole run end within a minute. */
export const benchQuick = (): boolean => process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
