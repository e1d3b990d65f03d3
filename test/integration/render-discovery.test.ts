import assert from 'node:assert/strict';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { TOKEN, runCli } from '../helpers/cli.js';
import { caCertHash } from '../../src/cluster/ca-hash.js';
import { parsePowerShell } from '../helpers/powershell.js';
import { kubeHttpClient } from '../helpers/kube-http.js';
import { startKubeadmFake } from '../helpers/kube-fake.js';

describe('render with a kubeconfig: join values discovered from the cluster', () => {
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  before(async () => ({ fake, kubeconfig } = await startKubeadmFake()));
  after(() => fake.stop());

  it('fills CA hash, version and CIDRs; reads the endpoint from cluster-info but refuses a loopback one; explicit flags still win', async () => {
    // The fake's cluster-info holds its own 127.0.0.1 address: what kubeadm join would read, and what plan refuses.
    const loopback = await runCli(['render', '--kubeconfig', kubeconfig, '--node-name', 'win-abcde', '-o', 'json'], { env: { WIN_K8S_TOKEN: TOKEN } });
    assert.equal(loopback.code, 2, loopback.stderr);
    assert.match(loopback.stderr, new RegExp(`the API endpoint ${new URL(fake.url).host} \\(from cluster-info\\) is a loopback address`));
    const r = await runCli(['render', '--kubeconfig', kubeconfig, '--node-name', 'win-abcde', '--api-server', 'cp.example.internal:6443', '-o', 'json'], { env: { WIN_K8S_TOKEN: TOKEN } });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { script: string; target: { apiServer: string; kubernetesVersion: string; serviceCidr: string; clusterCidr: string } };
    assert.equal(doc.target.kubernetesVersion, '1.33.2');
    assert.equal(doc.target.apiServer, 'cp.example.internal:6443');
    assert.equal(doc.target.serviceCidr, '10.96.0.0/12');
    assert.equal(doc.target.clusterCidr, '10.244.0.0/16');
    assert.ok(doc.script.includes(caCertHash(fake.caPem)));
    assert.match(r.stderr, /from the cluster: CA hash sha256:[0-9a-f]{64}, Kubernetes 1\.33\.2/);
    const explicit = await runCli(['render', '--kubeconfig', kubeconfig, '--node-name', 'win-abcde', '--api-server', '10.1.2.3', '--kubernetes-version', '1.32.13', '-o', 'json'], { env: { WIN_K8S_TOKEN: TOKEN } });
    const t = JSON.parse(explicit.stdout).target as { apiServer: string; kubernetesVersion: string };
    assert.equal(t.apiServer, '10.1.2.3:6443');
    assert.equal(t.kubernetesVersion, '1.32.13');
  });

  it('takes the endpoint from cluster-info when it holds an address nodes can reach, and says where it came from', async () => {
    const published = new FakeKubeApiServer(healthyKubeadmFlannel({ controlPlaneEndpoint: 'cp.example.internal:6443', clusterInfoServer: 'https://10.0.0.10:6443' }));
    await published.start();
    try {
      const r = await runCli(['render', '--kubeconfig', writeKubeconfigFor(published, { token: ADMIN_TOKEN }), '--node-name', 'win-abcde', '-o', 'json'], { env: { WIN_K8S_TOKEN: TOKEN } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { target: { apiServer: string } }).target.apiServer, '10.0.0.10:6443', 'cluster-info is what kubeadm join reads');
      assert.match(r.stderr, /from the cluster: endpoint 10\.0\.0\.10:6443 \(cluster-info\), CA hash sha256:[0-9a-f]{64}/);
    } finally {
      await published.stop();
    }
  });

  it('--create-token creates a kubeadm bootstrap token that authenticates, never shown on stderr', async () => {
    const r = await runCli(['render', '--kubeconfig', kubeconfig, '--node-name', 'win-abcde', '--api-server', 'cp.example.internal:6443', '--create-token', '--token-ttl', '2h', '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parsePowerShell(r.stdout), []);
    const token = /\$BootstrapToken = '([a-z0-9]{6}\.[a-z0-9]{16})'/.exec(r.stdout)![1]!;
    const [id, secret] = token.split('.');
    assert.ok(!r.stderr.includes(secret!), 'token secret leaked to stderr');
    assert.match(r.stderr, new RegExp(`created bootstrap token ${id} \\(expires`));
    const stored = fake.store.get('secrets', 'kube-system', `bootstrap-token-${id}`)!;
    assert.equal(stored.type, 'bootstrap.kubernetes.io/token');
    // The token authenticates as kubeadm's bootstrap identity.
    const review = await kubeHttpClient(fake.url, fake.caPem).request('/apis/authentication.k8s.io/v1/selfsubjectreviews', { method: 'POST', token, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.equal(review.status, 201, review.text);
    assert.equal(review.body.status.userInfo.username, `system:bootstrap:${id}`);
    assert.ok(review.body.status.userInfo.groups.includes('system:bootstrappers:kubeadm:default-node-token'));
    const expiration = Buffer.from(String((stored.data as Record<string, string>).expiration), 'base64').toString();
    const ttl = (Date.parse(expiration) - Date.now()) / 1000;
    assert.ok(ttl > 7000 && ttl <= 7200, `ttl ${ttl}`);
  });

  it('without a token and without --create-token, says how to get one', async () => {
    const r = await runCli(['render', '--kubeconfig', kubeconfig, '--node-name', 'win-abcde']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--token: required: a bootstrap token .*--create-token/);
  });

  it('--create-token with a token is refused', async () => {
    const r = await runCli(['render', '--kubeconfig', kubeconfig, '--node-name', 'win-abcde', '--create-token'], { env: { WIN_K8S_TOKEN: TOKEN } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--create-token: cannot be combined with --token/);
  });
});
