import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ADMIN_TOKEN,
  LIMITED_TOKEN,
  FakeKubeApiServer,
  aksLike,
  calico,
  eks,
  flannelLinuxDefaults,
  healthyKubeadmFlannel,
  rbacDenied,
  writeKubeconfigFor,
  placeControlPlane,
  type FakeClusterFixture,
} from '../fakes/kube-apiserver/index.js';
import { FAKE_CREDENTIALS, seedCluster, startAwsProxy, startMoto, type AwsProxy, type MotoServer, type SeededCluster } from '../fakes/moto/index.js';
import { runCli } from '../helpers/cli.js';
import { caCertHash } from '../../src/cluster/ca-hash.js';
import { resolveKubeconfig } from '../../src/cluster/kubeconfig.js';
import { parseProviderId } from '../../src/cluster/provider-id.js';
import type { PlanDocument } from '../../src/plan/plan-document.js';

const ENDPOINT = ['--api-server', 'cp.example.internal:6443'];

// plan asks the cloud (reading only) where the nodes would go: the fixtures' control plane
// runs on EC2, so one moto serves the file, with fake credentials in process.env where the
// in-process CLI's SDK reads them.
let moto: MotoServer | undefined;
let proxy: AwsProxy | undefined;
let seeded: SeededCluster | undefined;
const savedEnv: Record<string, string | undefined> = {};
before(async function () {
  this.timeout(60_000);
  moto = await startMoto();
  proxy = await startAwsProxy(moto.url);
  seeded = await seedCluster(moto.url, { cluster: 'kubernetes' });
  const env = { AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey, AWS_ENDPOINT_URL: proxy.url };
  for (const [k, v] of Object.entries(env)) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
});
after(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await proxy?.stop();
  await moto?.stop();
});

async function withFake<T>(fixture: FakeClusterFixture, fn: (fake: FakeKubeApiServer, kubeconfig: string) => Promise<T>, token = ADMIN_TOKEN): Promise<T> {
  const fake = new FakeKubeApiServer(fixture);
  await fake.start();
  // A control plane on EC2 is put on moto's seeded instance, where the cloud can find it.
  const cp = fake.store.get('nodes', undefined, 'cp-1');
  if (seeded && String((cp?.spec as { providerID?: string } | undefined)?.providerID ?? '').startsWith('aws://')) placeControlPlane(fake, seeded.providerId);
  try {
    return await fn(fake, writeKubeconfigFor(fake, { token }));
  } finally {
    await fake.stop();
  }
}

async function plan(kubeconfig: string, args: string[] = []) {
  const r = await runCli(['plan', '--kubeconfig', kubeconfig, '-o', 'json', ...args]);
  const doc = JSON.parse(r.stdout) as PlanDocument;
  const check = (id: string) => doc.checks.find((c) => c.id === id);
  return { ...r, doc, check };
}

describe('CA hash', () => {
  it('equals openssl\'s sha256 over the SubjectPublicKeyInfo DER (kubeadm\'s pin)', async () => {
    await withFake(healthyKubeadmFlannel(), async (fake) => {
      const dir = mkdtempSync(join(tmpdir(), 'win-k8s-ca-'));
      writeFileSync(join(dir, 'ca.crt'), fake.caPem);
      const der = execFileSync('sh', ['-c', `openssl x509 -in "${join(dir, 'ca.crt')}" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex`]).toString();
      const expected = /([0-9a-f]{64})/.exec(der)![1];
      assert.equal(caCertHash(fake.caPem), `sha256:${expected}`);
    });
  });
});

describe('kubeconfig resolution (as kubectl does it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'win-k8s-kc-'));
  const file = (name: string, ctx: string, server: string, current?: string) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: ${ctx}-cluster\n  cluster:\n    server: ${server}\n    certificate-authority: ca-${ctx}.crt\ncontexts:\n- name: ${ctx}\n  context:\n    cluster: ${ctx}-cluster\n    user: ${ctx}-user\nusers:\n- name: ${ctx}-user\n  user:\n    token: t\n${current ? `current-context: ${current}\n` : ''}`,
    );
    return path;
  };
  const a = file('a.yaml', 'alpha', 'https://a.example:6443', 'alpha');
  const b = file('b.yaml', 'beta', 'https://b.example:6443', 'beta');

  it('merges a KUBECONFIG list first-wins, including current-context', () => {
    const r = resolveKubeconfig({ env: { KUBECONFIG: `${a}:${b}` }, cwd: dir });
    assert.equal(r.contextName, 'alpha');
    assert.equal(r.server, 'https://a.example:6443');
    assert.deepEqual(r.files, [a, b]);
  });
  it('--context selects another context from the merged list', () => {
    const r = resolveKubeconfig({ env: { KUBECONFIG: `${a}:${b}` }, context: 'beta', cwd: dir });
    assert.equal(r.server, 'https://b.example:6443');
  });
  it('--kubeconfig takes one file and ignores KUBECONFIG', () => {
    const r = resolveKubeconfig({ flag: b, env: { KUBECONFIG: a }, cwd: dir });
    assert.equal(r.contextName, 'beta');
    assert.equal(r.origin, '--kubeconfig');
  });
  it('falls back to ~/.kube/config', () => {
    const home = mkdtempSync(join(tmpdir(), 'win-k8s-home-'));
    execFileSync('mkdir', ['-p', join(home, '.kube')]);
    writeFileSync(join(home, '.kube', 'config'), `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://home.example:6443'}\ncontexts:\n- name: h\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\ncurrent-context: h\n`);
    assert.equal(resolveKubeconfig({ env: { HOME: home }, cwd: dir }).server, 'https://home.example:6443');
  });
  it('resolves relative certificate paths against their own file', () => {
    const r = resolveKubeconfig({ env: { KUBECONFIG: `${a}:${b}` }, cwd: '/' });
    const beta = r.config.clusters.find((c) => c.name === 'beta-cluster')!.cluster as Record<string, string>;
    assert.equal(beta['certificate-authority'], join(dir, 'ca-beta.crt'));
  });
  it('an unknown context is a usage error naming --context', async () => {
    const r = await runCli(['plan', '--kubeconfig', a, '--context', 'gamma']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--context: context "gamma" is not in the kubeconfig/);
  });
});

describe('provider IDs', () => {
  it('parses AWS, Azure (VM and scale set) and GCE', () => {
    assert.deepEqual(parseProviderId('aws:///us-east-1a/i-0123456789abcdef0'), { cloud: 'aws', providerId: 'aws:///us-east-1a/i-0123456789abcdef0', zone: 'us-east-1a', region: 'us-east-1', instanceId: 'i-0123456789abcdef0' });
    const vm = parseProviderId('azure:///subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/cp-0');
    assert.equal(vm?.cloud === 'azure' && vm.resourceGroup, 'rg1');
    const vmss = parseProviderId('azure:///subscriptions/s1/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-np-1/virtualMachines/0');
    assert.equal(vmss?.cloud === 'azure' && vmss.scaleSet, 'aks-np-1');
    assert.deepEqual(parseProviderId('gce://proj-1/europe-west1-b/cp-1'), { cloud: 'gcp', providerId: 'gce://proj-1/europe-west1-b/cp-1', project: 'proj-1', zone: 'europe-west1-b', region: 'europe-west1', instance: 'cp-1' });
    assert.equal(parseProviderId('kind://docker/kind/kind-control-plane'), undefined);
  });
});

describe('plan against a healthy kubeadm + flannel cluster', () => {
  it('reports the facts, passes every check and exits 0', async () => {
    await withFake(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }), async (fake, kc) => {
      const r = await plan(kc, [...ENDPOINT, '--kubernetes-version', '1.33.2', '--count', '3']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.deepEqual(r.doc.cluster, {
        name: 'kubernetes',
        version: '1.33.2',
        endpoint: 'cp.example.internal:6443',
        caCertHash: caCertHash(fake.caPem),
        flavor: 'kubeadm',
        cni: { type: 'flannel', vni: 4096, port: 4789 },
        serviceCidr: '10.96.0.0/12',
        podCidr: '10.244.0.0/16',
        dnsIp: '10.96.0.10',
      });
      assert.equal(r.doc.target.cloud, 'aws');
      assert.equal(r.doc.target.region, 'us-east-1');
      assert.equal(r.doc.nodes.length, 3);
      for (const n of r.doc.nodes) assert.match(n.name, /^win-[a-z0-9]{5}$/);
      assert.equal(r.doc.joinable, true);
      for (const c of r.doc.checks) assert.notEqual(c.status, 'fail', `${c.id}: ${c.message}`);
      for (const id of ['cluster.flavor', 'cluster.network', 'rbac.permissions', 'version.skew', 'cni.flannel', 'rbac.bootstrap', 'daemonsets.linux-only', 'cluster.endpoint']) {
        assert.equal(r.check(id)?.status, 'pass', `${id}: ${r.check(id)?.message}`);
      }
      assert.match(r.stderr, /using context "fake" \(cluster "kubernetes", server https:\/\/127\.0\.0\.1:\d+\) from --kubeconfig/);
      // Reading only: no write request reached the server.
      assert.deepEqual(fake.requests.filter((e) => e.method !== 'GET' && !e.path.includes('selfsubjectaccessreviews')).map((e) => `${e.method} ${e.path}`), []);
    });
  });

  it('takes the endpoint from cluster-info when none is given, and refuses a loopback endpoint', async () => {
    await withFake(healthyKubeadmFlannel(), async (fake, kc) => {
      const r = await plan(kc);
      assert.equal(r.doc.cluster.endpoint, new URL(fake.url).host);
      assert.equal(r.check('cluster.endpoint')?.status, 'fail');
      assert.match(r.check('cluster.endpoint')!.hint!, /--api-server/);
      assert.equal(r.code, 1);
    });
  });

  it('warns about Linux-only DaemonSets; --taint-windows helps only with those that do not tolerate everything', async () => {
    await withFake(healthyKubeadmFlannel(), async (fake, kc) => {
      const r = await plan(kc, ENDPOINT);
      assert.equal(r.check('daemonsets.linux-only')?.status, 'warn');
      assert.match(r.check('daemonsets.linux-only')!.message, /monitoring\/node-exporter/);
      assert.match(r.check('daemonsets.linux-only')!.hint!, /--taint-windows/);
      // node-exporter tolerates every taint (operator Exists), so the taint does not keep it off.
      const tainted = await plan(kc, [...ENDPOINT, '--taint-windows']);
      assert.equal(tainted.check('daemonsets.linux-only')?.status, 'warn');
      assert.match(tainted.check('daemonsets.linux-only')!.hint!, /tolerate the os=windows taint/);
      const ds = fake.store.get('daemonsets.apps', 'monitoring', 'node-exporter')!;
      (ds.spec as { template: { spec: { tolerations?: unknown[] } } }).template.spec.tolerations = [];
      fake.store.put(ds);
      const narrowed = await plan(kc, [...ENDPOINT, '--taint-windows']);
      assert.equal(narrowed.check('daemonsets.linux-only')?.status, 'pass');
    });
  });

  it('fails version skew when the node would be newer than the API server', async () => {
    await withFake(healthyKubeadmFlannel(), async (_fake, kc) => {
      const r = await plan(kc, [...ENDPOINT, '--kubernetes-version', '1.35.9']);
      assert.equal(r.check('version.skew')?.status, 'fail');
      assert.equal(r.code, 1);
    });
  });

  it('refuses Windows Server 2025 on 1.33 as render does (exit 2); --allow-unsupported makes it a warning', async () => {
    await withFake(healthyKubeadmFlannel(), async (_fake, kc) => {
      const r = await runCli(['plan', '--kubeconfig', kc, '-o', 'json', ...ENDPOINT, '--windows-version', '2025']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /unsupported: Windows Server 2025 nodes need Kubernetes 1\.35 or newer.*choose --windows-version 2022/);
      assert.match(r.stderr, /--allow-unsupported/);
      const allowed = await plan(kc, [...ENDPOINT, '--windows-version', '2025', '--allow-unsupported']);
      assert.equal(allowed.check('compat.matrix')?.status, 'warn');
      assert.match(allowed.check('compat.matrix')!.message, /UNSUPPORTED \(--allow-unsupported\)/);
    });
  });

  it('refuses Windows Server 2016 on 1.31 with exit 2 even with --allow-unsupported, like render', async () => {
    await withFake(healthyKubeadmFlannel({ version: 'v1.31.4' }), async (_fake, kc) => {
      for (const extra of [[], ['--allow-unsupported']]) {
        const r = await runCli(['plan', '--kubeconfig', kc, ...ENDPOINT, '--windows-version', '2016', ...extra]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /win-k8s cannot bootstrap Windows Server 2016.*choose --windows-version 2022/);
        assert.doesNotMatch(r.stderr, /pass --allow-unsupported/);
        const rendered = await runCli(['render', '--kubernetes-version', '1.31.4', '--api-server', '10.0.0.10:6443', '--ca-cert-hash', `sha256:${'0'.repeat(64)}`, '--node-name', 'win-1', '--token', 'abcdef.0123456789abcdef', '--windows-version', '2016', ...extra]);
        assert.equal(rendered.code, 2, 'render gives the same answer');
        // join and provision plan first: the same refusal, before any cloud call (none is configured).
        for (const verb of ['join', 'provision']) {
          const joined = await runCli([verb, '--kubeconfig', kc, '--cloud', 'aws', ...ENDPOINT, '--windows-version', '2016', '--yes', ...extra], { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
          assert.equal(joined.code, 2, `${verb}: ${joined.stderr}`);
          assert.match(joined.stderr, /win-k8s cannot bootstrap Windows Server 2016/);
          assert.doesNotMatch(joined.stderr, /preflight failed/);
        }
      }
    });
  });

  it('fails when the kubeadm bootstrap RBAC is missing', async () => {
    await withFake(healthyKubeadmFlannel(), async (fake, kc) => {
      fake.store.remove('clusterrolebindings.rbac.authorization.k8s.io', undefined, 'kubeadm:node-autoapprove-bootstrap');
      const r = await plan(kc, ENDPOINT);
      assert.equal(r.check('rbac.bootstrap')?.status, 'fail');
      assert.match(r.check('rbac.bootstrap')!.message, /nodeclient/);
      assert.match(r.check('rbac.bootstrap')!.hint!, /kubeadm init phase bootstrap-token/);
    });
  });

  it('human output marks each check and ends with the verdict', async () => {
    await withFake(healthyKubeadmFlannel(), async (_fake, kc) => {
      const r = await runCli(['plan', '--kubeconfig', kc, ...ENDPOINT]);
      assert.match(r.stdout, /Preflight checks/);
      assert.match(r.stdout, /✔ cni\.flannel/);
      assert.match(r.stdout, /! daemonsets\.linux-only/);
      assert.match(r.stdout, /joinable \(\d warnings?\)/);
    });
  });
});

describe('plan against broken or unsuitable clusters', () => {
  it('flannel with the Linux defaults: fails with the exact net-conf change and what it restarts', async () => {
    await withFake(flannelLinuxDefaults(), async (_fake, kc) => {
      const r = await plan(kc, ENDPOINT);
      assert.equal(r.code, 1);
      const c = r.check('cni.flannel')!;
      assert.equal(c.status, 'fail');
      assert.match(c.message, /VNI 1 \(default\).*port 8472 \(default\)/);
      assert.match(c.hint!, /"Backend": \{"Type":"vxlan","VNI":4096,"Port":4789\}/);
      assert.match(c.hint!, /rollout restart daemonset kube-flannel-ds/);
      assert.equal(r.doc.joinable, false);
    });
  });

  it('--cni that differs from the cluster fails', async () => {
    await withFake(healthyKubeadmFlannel(), async (_fake, kc) => {
      const r = await plan(kc, [...ENDPOINT, '--cni', 'calico']);
      assert.equal(r.check('cni.windows')?.status, 'fail');
      assert.match(r.check('cni.windows')!.hint!, /--cni flannel/);
    });
  });

  it('calico without the Windows dataplane fails with the patch; with it, passes', async () => {
    await withFake(calico({ windowsDataplane: false }), async (_fake, kc) => {
      const r = await plan(kc, [...ENDPOINT, '--cni', 'calico']);
      assert.equal(r.check('cni.calico')?.status, 'fail');
      assert.match(r.check('cni.calico')!.hint!, /windowsDataplane":"HNS"/);
    });
    await withFake(calico({ windowsDataplane: true }), async (_fake, kc) => {
      const r = await plan(kc, [...ENDPOINT, '--cni', 'calico']);
      assert.equal(r.check('cni.calico')?.status, 'pass', r.check('cni.calico')?.message);
      assert.equal(r.doc.cluster.cni.type, 'calico');
    });
  });

  it('EKS: not joinable by token, names the managed way', async () => {
    await withFake(eks(), async (_fake, kc) => {
      // The fixture's nodes are not in moto: the nodes' subnet is given instead.
      const r = await plan(kc, [...ENDPOINT, '--cni', 'none', '--subnet-id', seeded!.subnetId]);
      assert.equal(r.doc.cluster.flavor, 'eks');
      assert.equal(r.doc.cluster.cni.type, 'aws-vpc-cni');
      assert.equal(r.check('cluster.flavor')?.status, 'fail');
      assert.match(r.check('cluster.flavor')!.hint!, /eksctl create nodegroup/);
      assert.equal(r.code, 1);
    });
  });

  it('AKS-like: flavor aks, Azure placement, names az aks nodepool add', async () => {
    await withFake(aksLike(), async (_fake, kc) => {
      const r = await plan(kc, [...ENDPOINT, '--cni', 'none']);
      assert.equal(r.doc.cluster.flavor, 'aks');
      assert.equal(r.doc.target.cloud, 'azure');
      assert.match(r.check('cluster.flavor')!.hint!, /az aks nodepool add/);
    });
  });

  it('a user RBAC denies: rbac.permissions fails and plan exits 3', async () => {
    await withFake(
      rbacDenied(),
      async (_fake, kc) => {
        const r = await plan(kc, ENDPOINT);
        const c = r.check('rbac.permissions')!;
        assert.equal(c.status, 'fail');
        assert.match(c.message, /create secrets in kube-system/);
        assert.match(c.message, /create runtimeclasses\.node\.k8s\.io/);
        assert.equal(r.check('rbac.bootstrap')?.status, 'warn');
        assert.match(r.check('rbac.bootstrap')!.message, /could not check/);
        assert.equal(r.code, 3);
      },
      LIMITED_TOKEN,
    );
  });

  it('an unreachable API server exits 3 naming the server', async () => {
    const fake = new FakeKubeApiServer(healthyKubeadmFlannel());
    await fake.start();
    const kc = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    await fake.stop();
    const r = await runCli(['plan', '--kubeconfig', kc]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /cannot reach the API server at https:\/\/127\.0\.0\.1:\d+/);
  });

  it('bad credentials exit 3', async () => {
    await withFake(healthyKubeadmFlannel(), async (_fake, kc) => {
      const r = await runCli(['plan', '--kubeconfig', kc]);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /rejected the credentials/);
    }, 'not-a-valid-token');
  });
});

describe('list and remove validate --pool as join does, before reading the cluster', () => {
  for (const args of [['list', '--pool', 'Bad_Pool'], ['remove', '--pool', 'Bad_Pool', '--yes'], ['list', '--pool', 'toolongpool']]) {
    it(args.join(' '), async () => {
      // A missing kubeconfig would exit 3: exit 2 shows the name was refused first.
      const r = await runCli([...args, '--kubeconfig', 'nowhere', '--cloud', 'aws']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--pool: "(Bad_Pool|toolongpool)"/);
    });
  }
});

describe('--disk-size names the limit', () => {
  it('beyond any cloud: the schema bound names the clouds\' limits', async () => {
    const r = await runCli(['join', '--dry-run', '--kubeconfig', 'nowhere', '--disk-size', '99999']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--disk-size: at most 65536 GiB .*16384.*4095/);
  });

  it('beyond the chosen cloud: exit 2 naming that cloud\'s maximum, before anything is created', async () => {
    await withFake(healthyKubeadmFlannel(), async (_fake, kc) => {
      for (const [cloud, size, max] of [['azure', '5000', '4095'], ['aws', '20000', '16384']] as const) {
        const r = await runCli(['join', '--dry-run', '--kubeconfig', kc, ...ENDPOINT, '--cloud', cloud, '--disk-size', size]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`--disk-size: ${size} GiB is more than ${cloud} allows: .*\\(${max} GiB\\)`));
      }
      const ok = await runCli(['join', '--dry-run', '--kubeconfig', kc, ...ENDPOINT, '--cloud', 'gcp', '--disk-size', '20000']);
      assert.notEqual(ok.code, 2, ok.stderr);
    });
  });
});

describe('settings of another cloud', () => {
  it('a flag for another cloud is refused (exit 2, naming it); the same in win-k8s.yaml only warns', async () => {
    await withFake(healthyKubeadmFlannel(), async (_fake, kc) => {
      const dir = mkdtempSync(join(tmpdir(), 'win-k8s-cross-'));
      const base = ['join', '--dry-run', '--kubeconfig', kc, ...ENDPOINT, '--cloud', 'aws'];
      const flags = await runCli([...base, '--admin-password-file', join(dir, 'pw.txt'), '--project', 'my-project-1']);
      assert.equal(flags.code, 2, flags.stderr);
      assert.match(flags.stderr, /--admin-password-file is an Azure setting, but the VMs go to --cloud aws; drop it or choose --cloud azure/);
      assert.match(flags.stderr, /--project is a GCP setting/);
      const own = await runCli([...base, '--instance-profile', 'ssm']);
      assert.notEqual(own.code, 2, own.stderr);
      writeFileSync(join(dir, 'win-k8s.yaml'), 'azure:\n  adminPasswordFile: pw.txt\n');
      const file = await runCli([...base, '-c', join(dir, 'win-k8s.yaml')]);
      assert.notEqual(file.code, 2, file.stderr);
      assert.match(file.stderr, /azure\.adminPasswordFile \(in .*win-k8s\.yaml\) is an Azure setting, but the VMs go to --cloud aws: ignored/);
      // The passwords file of the chosen cloud is checked with the plan: no symlink, no missing directory.
      symlinkSync(join(dir, 'elsewhere.txt'), join(dir, 'pw-link.txt'));
      for (const [path, expect] of [[join(dir, 'pw-link.txt'), /symbolic link/], [join(dir, 'no-dir', 'pw.txt'), /the directory of .* does not exist/]] as const) {
        const r = await runCli(['join', '--dry-run', '--kubeconfig', kc, ...ENDPOINT, '--cloud', 'azure', '--admin-password-file', path]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`--admin-password-file: .*${expect.source}`));
      }
      // list and remove look for the VMs with the same rule.
      for (const verb of [['list'], ['remove', '--pool', 'win', '--yes']]) {
        const r = await runCli([...verb, '--kubeconfig', kc, '--cloud', 'aws', '--subscription', '00000000-0000-0000-0000-000000000000']);
        assert.equal(r.code, 2, `${verb[0]}: ${r.stderr}`);
        assert.match(r.stderr, /--subscription is an Azure setting, but the VMs go to --cloud aws/);
      }
    });
  });
});
