import { spawnSync } from 'node:child_process';

export interface Sample {
  name: string;
  medianMs: number;
  runs: number;
}

/** Median wall time of a command over `runs` fresh processes (after one warm-up run). */
export function timeCommand(name: string, command: string, args: string[], runs: number, env: NodeJS.ProcessEnv = process.env): Sample {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr.toString()}`);
    if (i > 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { name, medianMs: median, runs };
}

export function ratioLine(sample: Sample, baseline: Sample, target: number): string {
  const ratio = sample.medianMs / baseline.medianMs;
  const verdict = ratio <= target ? 'within target' : 'OVER TARGET';
  return `${sample.name.padEnd(28)} ${sample.medianMs.toFixed(1).padStart(8)} ms  ${ratio.toFixed(2)}x baseline (target <= ${target}x: ${verdict})`;
}
