/**
 * Run the real kubectl against a fake kube-apiserver with an isolated HOME and KUBECONFIG, so the
 * machine's own kubeconfig and discovery cache are never read or written.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlSandbox {
  /** The isolated HOME (also holds the discovery cache). */
  readonly home: string;
  run(args: string[], opts?: { kubeconfig?: string; timeoutMs?: number; stdin?: string }): Promise<KubectlResult>;
  cleanup(): void;
}

/** `kubectl` binary to use: $KUBECTL or the one on PATH. */
export function kubectlBinary(): string {
  return process.env['KUBECTL'] ?? 'kubectl';
}

/** Whether a kubectl binary can be run here (for skipping, with a reason, where it cannot). */
export function kubectlAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(kubectlBinary(), ['version', '--client'], { timeout: 10000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir() } }, (err) => resolve(!err));
  });
}

export function kubectlSandbox(defaultKubeconfig?: string): KubectlSandbox {
  const home = mkdtempSync(join(tmpdir(), 'kubectl-home-'));
  return {
    home,
    run(args, opts = {}) {
      const kubeconfig = opts.kubeconfig ?? defaultKubeconfig;
      if (!kubeconfig) throw new Error('kubectlSandbox.run: no kubeconfig');
      const env: NodeJS.ProcessEnv = {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: home,
        KUBECONFIG: kubeconfig,
        KUBECACHEDIR: join(home, 'cache'),
      };
      return new Promise((resolve) => {
        const child = execFile(
          kubectlBinary(),
          ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'cache'), ...args],
          { env, timeout: opts.timeoutMs ?? 15000, maxBuffer: 16 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr) });
          },
        );
        if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
        else child.stdin?.end();
      });
    },
    cleanup() {
      rmSync(home, { recursive: true, force: true });
    },
  };
}
