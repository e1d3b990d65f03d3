import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI's entry point: spawned tests run what `npm run build` wrote to dist/. */
export const CLI_BIN = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

export interface SpawnedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as its own process with exactly `env` (nothing of the test runner's leaks in)
 * and gathers its output; with `kubeconfig`, `--kubeconfig` goes after the given arguments.
 */
export function spawnCli(args: string[], env: Record<string, string>, kubeconfig?: string): Promise<SpawnedRun> {
  return new Promise((resolve) => {
    const argv = kubeconfig === undefined ? args : [...args, '--kubeconfig', kubeconfig];
    const child = spawn(process.execPath, [CLI_BIN, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
