import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKubeconfig } from '../fakes/kube-apiserver/kubeconfig.js';
import { getKubePki } from '../helpers/kube-pki.js';
import { parseRequestTimeoutMs } from '../../src/config/request-timeout.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

/** Accepts TCP connections on 127.0.0.1 and never says a word: no TLS, no HTTP. */
class SilentServer {
  private readonly server: Server = createServer((socket) => this.accept(socket));
  private readonly sockets = new Set<Socket>();
  private waiters: (() => void)[] = [];
  connections = 0;
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    this.url = `https://127.0.0.1:${address.port}`;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {});
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.connections++;
    for (const w of this.waiters) w();
    this.waiters = [];
  }

  /** Resolves once a client is connected and waiting for the handshake. */
  connected(): Promise<void> {
    return this.connections > 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the first connection reaching the server to the exit. */
  afterConnect: number;
}

function run(server: SilentServer, args: string[], env: Record<string, string> = {}, interruptAfterConnect = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', HOME: tmpdir(), ...env } });
    let stdout = '';
    let stderr = '';
    let connectedAt = 0;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    void server.connected().then(() => {
      connectedAt = Date.now();
      if (interruptAfterConnect) setTimeout(() => child.kill('SIGINT'), 300);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`win-k8s ${args.join(' ')} still running after 60s (stderr: ${stderr})`));
    }, 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, afterConnect: connectedAt ? Date.now() - connectedAt : Number.NaN });
    });
  });
}

describe('a cluster endpoint that accepts TCP but never answers TLS', () => {
  let server: SilentServer;
  let kubeconfig: string;
  const escaped = () => server.url.replace(/[.:/]/g, '\\$&');
  beforeEach(async () => {
    server = new SilentServer();
    await server.start();
    kubeconfig = writeKubeconfig({ server: server.url, caPem: getKubePki().ca.certPem, user: { token: 'fake-token' } });
  });
  afterEach(() => server.stop());

  it('plan --request-timeout 2s gives up after 2s, naming the endpoint and the bound (exit 3)', async () => {
    const r = await run(server, ['plan', '--kubeconfig', kubeconfig, '--api-server', 'cp.example.internal:6443', '--request-timeout', '2s']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`the API server at ${escaped()} did not answer within 2s \\(--request-timeout\\)`));
    assert.ok(r.afterConnect >= 1900 && r.afterConnect < 5000, `ended ${r.afterConnect} ms after connecting`);
  });

  it('list -o json with WIN_K8S_REQUEST_TIMEOUT=1s: the same, as the JSON error document', async () => {
    const r = await run(server, ['list', '--kubeconfig', kubeconfig, '-o', 'json'], { WIN_K8S_REQUEST_TIMEOUT: '1s' });
    assert.equal(r.status, 3, r.stderr);
    const doc = JSON.parse(r.stdout) as { error: { message: string; exitCode: number } };
    assert.match(doc.error.message, new RegExp(`${escaped()} did not answer within 1s`));
    assert.equal(doc.error.exitCode, 3);
    assert.ok(r.afterConnect < 4000, `ended ${r.afterConnect} ms after connecting`);
  });

  it('requestTimeout in win-k8s.yaml is read too (plan)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-rt-'));
    writeFileSync(join(dir, 'win-k8s.yaml'), `kubeconfig: ${kubeconfig}\nrequestTimeout: 1s\n`);
    const r = await run(server, ['plan', '-c', join(dir, 'win-k8s.yaml'), '--api-server', 'cp.example.internal:6443']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /did not answer within 1s/);
  });

  it('without --request-timeout, the TLS handshake still gives up after 10s, as kubectl\'s', async () => {
    const r = await run(server, ['plan', '--kubeconfig', kubeconfig, '--api-server', 'cp.example.internal:6443']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot reach the API server at ${escaped()}: no TLS handshake within 10s`));
    assert.ok(r.afterConnect >= 9500 && r.afterConnect < 14_000, `ended ${r.afterConnect} ms after connecting`);
  });

  for (const command of [['plan', '--api-server', 'cp.example.internal:6443'], ['diagnose']]) {
    it(`the first Ctrl-C during the hang ends ${command[0]} at once: exit 130, "interrupted"`, async () => {
      const r = await run(server, [...command, '--kubeconfig', kubeconfig], {}, true);
      assert.equal(r.status, 130, r.stderr);
      assert.match(r.stderr, /\[✖\]\s+interrupted/);
      assert.doesNotMatch(r.stderr, /internal error|did not answer|TLS handshake/);
      assert.ok(r.afterConnect < 2500, `ended ${r.afterConnect} ms after connecting (Ctrl-C at 300 ms)`);
    });
  }
});

describe('--request-timeout takes kubectl\'s syntax', () => {
  it('0 is no bound, a bare number is seconds, durations carry their unit', () => {
    assert.equal(parseRequestTimeoutMs('0'), 0);
    assert.equal(parseRequestTimeoutMs('0s'), 0);
    assert.equal(parseRequestTimeoutMs('5'), 5000);
    assert.equal(parseRequestTimeoutMs('10s'), 10_000);
    assert.equal(parseRequestTimeoutMs('1m'), 60_000);
    assert.equal(parseRequestTimeoutMs('5x'), undefined);
    assert.equal(parseRequestTimeoutMs('-1s'), undefined);
  });

  const usage = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
    new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env } });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stderr }));
    });

  it('a bad value is a usage error naming where it came from (flag, variable, file), before any cluster is read', async () => {
    const flag = await usage(['plan', '--request-timeout', 'soon']);
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /--request-timeout: expected a duration such as 90s, 2m30s.*got "soon"/);
    const variable = await usage(['list'], { WIN_K8S_REQUEST_TIMEOUT: '3 minutes' });
    assert.equal(variable.status, 2);
    assert.match(variable.stderr, /WIN_K8S_REQUEST_TIMEOUT: expected a duration/);
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-rt-'));
    writeFileSync(join(dir, 'win-k8s.yaml'), 'requestTimeout: soon\n');
    const file = await usage(['plan'], {}, dir);
    assert.equal(file.status, 2);
    assert.match(file.stderr, /requestTimeout \(in .*win-k8s\.yaml\): expected a duration/);
  });

  it('is a global flag, in the help', async () => {
    const help = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [bin, '--help']);
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.on('close', () => resolve(out));
    });
    assert.match(help, /--request-timeout <duration>/);
  });
});
