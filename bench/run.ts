// npm run bench: ratios against baselines measured in the same run, never absolute thresholds.
import { benchJoin } from './join.js';
import { benchStartup } from './startup.js';

// The bench's own SDK clients (moto seeding) would print the SDK's notice about future Node
// majors between the figures; the CLI under measurement switches it off for itself.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const runs = Number(process.env.BENCH_RUNS ?? 15);
for (const line of benchStartup(runs)) console.log(line);
console.log('');
for (const line of await benchJoin()) console.log(line);
console.log('');
for (const line of await import('./diagnose.js').then((m) => m.benchDiagnose())) console.log(line);
