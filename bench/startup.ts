import { fileURLToPath } from 'node:url';
import { ratioLine, timeCommand } from './measure.js';

/** `win-k8s --help` and a `render` against a bare `node -e 0`, measured in the same run. */
export function benchStartup(runs: number): string[] {
  const bin = fileURLToPath(new URL('../bin/win-k8s.js', import.meta.url));
  const env = { ...process.env, WIN_K8S_TOKEN: 'abcdef.0123456789abcdef', NO_COLOR: '1' };
  const baseline = timeCommand('node -e 0 (baseline)', process.execPath, ['-e', '0'], runs, env);
  const help = timeCommand('win-k8s --help', process.execPath, [bin, '--help'], runs, env);
  const render = timeCommand('win-k8s render', process.execPath, [
    bin, 'render', '--kubernetes-version', '1.33.2', '--api-server', '10.0.0.10:6443',
    '--ca-cert-hash', `sha256:${'ab'.repeat(32)}`, '--node-name', 'win-bench',
    '--service-cidr', '10.96.0.0/12', '--cluster-cidr', '10.244.0.0/16',
  ], runs, env);
  return [
    `startup (median of ${runs} runs each)`,
    `${baseline.name.padEnd(28)} ${baseline.medianMs.toFixed(1).padStart(8)} ms`,
    ratioLine(help, baseline, 1.5),
    ratioLine(render, baseline, 2),
  ];
}
