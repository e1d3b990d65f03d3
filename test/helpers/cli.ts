import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends PassThrough {
  isTTY = false;
  text = '';
  constructor() {
    super();
    this.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
    });
  }
}

/** Runs the CLI in-process with its own env, cwd and captured streams (no TTY, like CI). */
export async function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['node', 'win-k8s', ...args], {
    env: { ...options.env },
    cwd: options.cwd ?? process.cwd(),
    streams: { stdin: { isTTY: false }, stdout, stderr },
    signal: new AbortController().signal,
  });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export const TOKEN = 'abcdef.0123456789abcdef';
export const CA_HASH = `sha256:${'0123456789abcdef'.repeat(4)}`;
export const DOCKER_SHA = 'd'.repeat(64);

/** The flags every render needs; tests add or override. */
export function renderArgs(extra: string[] = []): string[] {
  return ['render', '--kubernetes-version', '1.33.2', '--api-server', '10.0.0.10:6443', '--ca-cert-hash', CA_HASH, '--node-name', 'win-abcde', '--service-cidr', '10.96.0.0/12', '--cluster-cidr', '10.244.0.0/16', ...extra];
}
