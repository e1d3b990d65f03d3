// npm run bench: ratios against baselines measured in the same run, never absolute thresholds.
import { benchJoin } from './join.js';
import { benchStartup } from './startup.js';

const runs = Number(process.env.BENCH_RUNS ?? 15);
for (const line of benchStartup(runs)) console.log(line);
console.log('');
for (const line of await benchJoin()) console.log(line);
console.log('');
for (const line of await import('./diagnose.js').then((m) => m.benchDiagnose())) console.log(line);
