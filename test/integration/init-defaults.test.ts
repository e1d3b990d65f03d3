import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, placeControlPlane, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { motoCliEnv, seedCluster, startAwsProxy, startMoto, type AwsProxy, type MotoServer } from '../fakes/moto/index.js';
import { validate } from '../helpers/json-schema.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

/** The built CLI, asynchronously: the fake API server answers from this process's event loop. */
function cli(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('init --defaults through bin/win-k8s.js, and plan -c takes the file back', function () {
  this.timeout(180_000);
  let moto: MotoServer;
  // The proxy answers the public SSM parameters that name the Windows AMIs, which moto cannot store.
  let proxy: AwsProxy;
  let env: Record<string, string>;
  let providerId: string;

  before(async () => {
    moto = await startMoto();
    providerId = (await seedCluster(moto.url, { cluster: 'kubernetes' })).providerId;
    proxy = await startAwsProxy(moto.url);
    env = { ...motoCliEnv(proxy.url), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  });
  after(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  async function withCluster<T>(clusterInfoServer: string | undefined, fn: (kubeconfig: string) => Promise<T>): Promise<T> {
    const fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false, ...(clusterInfoServer ? { clusterInfoServer } : {}) }));
    await fake.start();
    placeControlPlane(fake, providerId);
    try {
      return await fn(writeKubeconfigFor(fake, { token: ADMIN_TOKEN }));
    } finally {
      await fake.stop();
    }
  }

  it('writes a commented file and its schema without a terminal (exit 0); plan -c accepts it; a second run refuses to overwrite (exit 2 naming the file)', async () => {
    await withCluster('https://10.0.0.10:6443', async (kubeconfig) => {
      const dir = mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
      const r = await cli(['init', '--defaults', '--kubeconfig', kubeconfig], dir, env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(readdirSync(dir).sort(), ['win-k8s.schema.json', 'win-k8s.yaml']);
      const text = readFileSync(join(dir, 'win-k8s.yaml'), 'utf8');
      assert.match(text, /^# yaml-language-server: \$schema=\.\/win-k8s\.schema\.json\n/);
      const doc = parse(text) as { cloud: string; pool: Record<string, unknown> };
      assert.equal(doc.cloud, 'aws', 'the control plane runs on EC2');
      assert.equal(doc.pool.kubernetesVersion, '1.33.2');
      const schema = JSON.parse(readFileSync(join(dir, 'win-k8s.schema.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(validate(schema, doc), []);
      // The schema the CLI prints is the one written beside the file.
      const printed = await cli(['schema'], dir, env);
      assert.deepEqual(JSON.parse(printed.stdout), schema);

      const plan = await cli(['plan', '-c', 'win-k8s.yaml', '--kubeconfig', kubeconfig, '-o', 'json'], dir, env);
      assert.equal(plan.code, 0, plan.stderr + plan.stdout);
      // plan prints the resolved configuration in the form -c takes: the file's values are in it.
      const planned = JSON.parse(plan.stdout) as { config: { cloud: string; pool: Record<string, unknown> } };
      assert.equal(planned.config.cloud, 'aws');
      for (const key of ['name', 'count', 'windowsVersion', 'runtime', 'cni', 'instanceType', 'kubernetesVersion']) assert.equal(String(planned.config.pool[key]), String(doc.pool[key]), key);

      writeFileSync(join(dir, 'win-k8s.yaml'), '# mine\n');
      const again = await cli(['init', '--defaults', '--kubeconfig', kubeconfig], dir, env);
      assert.equal(again.code, 2, again.stderr);
      assert.match(again.stderr, /--file: \S*win-k8s\.yaml exists; pass --force to overwrite it/);
      assert.equal(readFileSync(join(dir, 'win-k8s.yaml'), 'utf8'), '# mine\n');
      const forced = await cli(['init', '--defaults', '--force', '--kubeconfig', kubeconfig], dir, env);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(readFileSync(join(dir, 'win-k8s.yaml'), 'utf8'), text);
    });
  });

  it('when cluster-info holds a loopback address: exit 2 naming --api-server, and with it a file plan accepts', async () => {
    await withCluster(undefined, async (kubeconfig) => {
      const dir = mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
      const r = await cli(['init', '--defaults', '--kubeconfig', kubeconfig], dir, env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--api-server: cluster-info gives the API endpoint 127\.0\.0\.1:\d+, a loopback address/);
      assert.deepEqual(readdirSync(dir), []);
      const ok = await cli(['init', '--defaults', '--file', 'cluster.yaml', '--kubeconfig', kubeconfig], dir, { ...env, WIN_K8S_API_SERVER: 'cp.example.internal' });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, /next: win-k8s plan -c cluster\.yaml/);
      const doc = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { cluster: { apiServer: string } };
      assert.equal(doc.cluster.apiServer, 'cp.example.internal:6443');
      const plan = await cli(['plan', '-c', 'cluster.yaml', '--kubeconfig', kubeconfig, '-o', 'json'], dir, env);
      assert.equal(plan.code, 0, plan.stderr + plan.stdout);
    });
  });
});
