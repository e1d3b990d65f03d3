import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { motoAmis } from './amis.js';

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  /** Clears every emulated resource (moto's /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const MISSING = "moto_server not found: pip install 'moto[server]'";

/**
 * Starts moto's standalone server on a free loopback port, with the Windows AMIs of amis.ts.
 * A missing moto_server is an error, not a skip: CI must not pass without the AWS tests.
 */
export async function startMoto(options: { binary?: string; startTimeoutMs?: number } = {}): Promise<MotoServer> {
  const binary = options.binary ?? process.env.MOTO_SERVER ?? 'moto_server';
  const dir = mkdtempSync(join(tmpdir(), 'win-k8s-moto-'));
  const amisPath = join(dir, 'amis.json');
  writeFileSync(amisPath, JSON.stringify(motoAmis(), null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  let output = '';
  const child: ChildProcess = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_AMIS_PATH: amisPath },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() reaches moto even behind a pyenv/venv wrapper script.
    detached: true,
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<Error>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? new Error(MISSING) : err));
    child.once('exit', (code, signal) => resolve(new Error(`moto_server exited (${signal ?? code}) before answering:\n${output}`)));
  });
  const killGroup = () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', killGroup);

  const polling = new AbortController();
  const ready = await Promise.race([waitUntilAnswering(url, options.startTimeoutMs ?? 20_000, polling.signal), exited]);
  polling.abort();
  if (ready instanceof Error) {
    killGroup();
    process.removeListener('exit', killGroup);
    rmSync(dir, { recursive: true, force: true });
    throw ready;
  }

  return {
    url,
    pid: child.pid!,
    async reset() {
      const res = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    async stop() {
      process.removeListener('exit', killGroup);
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        killGroup();
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000).unref())]);
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilAnswering(url: string, timeoutMs: number, stop: AbortSignal): Promise<true | Error> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stop.aborted) {
    try {
      const res = await fetch(`${url}/moto-api/data.json`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return new Error(`moto_server did not answer on ${url} within ${timeoutMs} ms`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
