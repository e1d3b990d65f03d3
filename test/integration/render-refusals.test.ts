import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { CA_HASH, TOKEN } from '../helpers/cli.js';
import { startKubeadmFake } from '../helpers/kube-fake.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const runSync = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env }, timeout: 30_000 });

/** Async spawn: the fake API server lives in this process and must keep answering. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const OFFLINE = ['render', '--kubernetes-version', '1.33.2', '--ca-cert-hash', CA_HASH, '--service-cidr', '10.96.0.0/12', '--cluster-cidr', '10.244.0.0/16'];

describe('render: one friendly message per problem, and plan\'s refusal of a loopback endpoint', () => {
  it('a missing --node-name is reported once, by its flag, without the schema\'s raw message', () => {
    const r = runSync([...OFFLINE, '--api-server', '10.0.0.10:6443'], { WIN_K8S_TOKEN: TOKEN });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--node-name: required: the node name \(or WIN_K8S_NODE_NAME\)/);
    assert.doesNotMatch(r.stderr, /render\.nodeName|Invalid input|received undefined/);
    const json = runSync([...OFFLINE, '--api-server', '10.0.0.10:6443', '-o', 'json'], { WIN_K8S_TOKEN: TOKEN });
    const doc = JSON.parse(json.stdout) as { error: { problems: string[] } };
    assert.deepEqual(doc.error.problems, ['--node-name: required: the node name (or WIN_K8S_NODE_NAME)']);
  });

  it('an invalid --node-name is still reported, by its flag', () => {
    const r = runSync([...OFFLINE, '--api-server', '10.0.0.10:6443', '--node-name', 'this-name-is-far-too-long'], { WIN_K8S_TOKEN: TOKEN });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--node-name/);
    assert.doesNotMatch(r.stderr, /render\.nodeName/);
  });

  for (const [endpoint, source, env] of [
    ['127.0.0.1:6443', '--api-server', {}],
    ['localhost:6443', '--api-server', {}],
    ['[::1]:6443', '--api-server', {}],
    ['127.0.0.2:6443', 'WIN_K8S_API_SERVER', { WIN_K8S_API_SERVER: '127.0.0.2:6443' }],
  ] as const) {
    it(`an explicit loopback endpoint ${endpoint} (${source}) is refused: exit 2, nothing on stdout`, () => {
      const args = source === '--api-server' ? [...OFFLINE, '--api-server', endpoint, '--node-name', 'win-abcde'] : [...OFFLINE, '--node-name', 'win-abcde'];
      const r = runSync(args, { WIN_K8S_TOKEN: TOKEN, ...env });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`the API endpoint ${endpoint.replace(/[[\]().]/g, '\\$&')} \\(from ${source}\\) is a loopback address that new nodes cannot reach`));
      assert.match(r.stderr, /hint: pass --api-server <host:port> that the Windows nodes can reach/);
    });
  }

  describe('with a kubeconfig whose cluster-info holds a loopback address', () => {
    let fake: FakeKubeApiServer;
    let kubeconfig: string;
    before(async () => ({ fake, kubeconfig } = await startKubeadmFake()));
    after(() => fake.stop());
    const tokens = () => fake.store.list('secrets', { namespace: 'kube-system' }).filter((s) => s.type === 'bootstrap.kubernetes.io/token').length;

    it('render --create-token refuses it as plan does (exit 2), and makes no token', async () => {
      const before = tokens();
      const r = await run(['render', '--kubeconfig', kubeconfig, '--node-name', 'win-abcde', '--create-token']);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '', 'no script');
      const host = new URL(fake.url).host;
      assert.match(r.stderr, new RegExp(`--api-server: the API endpoint ${host.replace(/\./g, '\\.')} \\(from cluster-info\\) is a loopback address that new nodes cannot reach`));
      assert.match(r.stderr, /hint: pass --api-server/);
      assert.equal(tokens(), before, 'a token was created for a script that was refused');

      const plan = await run(['plan', '--kubeconfig', kubeconfig, '-o', 'json']);
      const check = (JSON.parse(plan.stdout) as { checks: { id: string; status: string; message: string }[] }).checks.find((c) => c.id === 'cluster.endpoint')!;
      assert.equal(check.status, 'fail');
      assert.match(check.message, new RegExp(`the API endpoint ${host.replace(/\./g, '\\.')} \\(from cluster-info\\) is a loopback address`));
    });

    it('given --api-server, render --create-token writes that endpoint and a token', async () => {
      const r = await run(['render', '--kubeconfig', kubeconfig, '--node-name', 'win-abcde', '--create-token', '--api-server', 'cp.example.internal:6443']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /cp\.example\.internal:6443/);
      assert.match(r.stdout, /\$BootstrapToken = '[a-z0-9]{6}\.[a-z0-9]{16}'/);
    });
  });
});
