import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, FakeKubeApiServer, SimulatedKubelet, healthyKubeadmFlannel, writeKubeconfigFor } from '../test/fakes/kube-apiserver/index.js';
import { putHealthyWindowsNode } from '../test/helpers/diagnose.js';

/**
 * `diagnose` over 1 Windows node against 100 (API checks and on-node checks through
 * HostProcess pods), on the fake kube-apiserver with simulated kubelets whose node script
 * takes a fixed time: the ratio shows how well per-node work runs in parallel.
 */
export async function benchDiagnose(scriptMs = 1500): Promise<string[]> {
  const bin = fileURLToPath(new URL('../bin/win-k8s.js', import.meta.url));
  const report = readFileSync(new URL('../test/fixtures/node-checks/healthy-containerd-flannel.json', import.meta.url), 'utf8');
  const time = async (nodes: number): Promise<number> => {
    const fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    for (let i = 0; i < nodes; i++) putHealthyWindowsNode(fake, `win-${i + 1}`, { octet: 10 + i });
    const kubelet = new SimulatedKubelet(fake, {
      run: (pod) =>
        pod.metadata?.labels?.['win-k8s.io/node-checks'] === 'true'
          ? { delayMs: scriptMs, containers: { 'node-checks': { exitCode: 0, log: `WIN-K8S-NODE-REPORT-BEGIN\n${report}\nWIN-K8S-NODE-REPORT-END\n` } } }
          : undefined,
    }).start();
    const kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    try {
      return await new Promise<number>((resolve, reject) => {
        const started = process.hrtime.bigint();
        const child = spawn(process.execPath, [bin, 'diagnose', '--kubeconfig', kubeconfig, '--skip-probes', '-o', 'json'], {
          env: { PATH: process.env.PATH ?? '', WIN_K8S_POLL_INTERVAL: '100' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.on('close', (code) => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          // Exit 1 is a finding, not a failure of the run: every node must still have its report.
          const reports = code === 0 || code === 1 ? (JSON.parse(out) as { checks: Array<{ id: string; status: string }> }).checks.filter((c) => c.id === 'node.host.report' && c.status === 'pass').length : -1;
          if (reports !== nodes) reject(new Error(`diagnose over ${nodes} node(s) exited ${code} with ${reports} node reports: ${err.slice(-2000)}`));
          else resolve(ms);
        });
      });
    } finally {
      kubelet.stop();
      await fake.stop();
    }
  };
  const one = await time(1);
  const hundred = await time(100);
  const ratio = hundred / one;
  return [
    `diagnose on the fake kube-apiserver, API and on-node checks (the node script takes ${scriptMs} ms)`,
    `diagnose, 1 Windows node       ${one.toFixed(0).padStart(8)} ms`,
    `diagnose, 100 Windows nodes    ${hundred.toFixed(0).padStart(8)} ms  ${ratio.toFixed(2)}x 1 node (target <= 3x: ${ratio <= 3 ? 'within target' : 'OVER TARGET'})`,
  ];
}
