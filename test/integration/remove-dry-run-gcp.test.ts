import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { startGceFake, type GceFake } from '../fakes/gce/index.js';
import type { RemovePlan } from '../../src/pool/result.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const PROJECT = 'demo-proj';
const ZONE = 'europe-west1-b';
const REGION = 'europe-west1';
const SA_EMAIL = 'win-k8s@demo-proj.iam.gserviceaccount.com';
const NETWORK = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/k8s`;

/** `remove --dry-run` on GCP names the pool's firewall rules and what they allow, and only reads. */
describe('remove --dry-run on GCP shows the firewall rules it would delete (fake Compute API)', function () {
  this.timeout(60_000);
  let gce: GceFake;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let dir: string;
  let keyPath: string;

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      CLOUDSDK_CONFIG: join(dir, 'gcloud'),
      CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: `http://127.0.0.1:${gce.port}/compute/v1/`,
      METADATA_SERVER_DETECTION: 'none',
      GOOGLE_APPLICATION_CREDENTIALS: keyPath,
      NO_COLOR: '1',
    };
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', kubeconfig], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** A rule as the Compute API stores one after an insert. */
  function putFirewall(name: string, description: string, allowed: { IPProtocol: string; ports: string[] }[], sourceRanges: string[]): void {
    gce.firewalls.set(name, {
      kind: 'compute#firewall',
      id: String(9_000_000 + gce.firewalls.size),
      name,
      description,
      network: NETWORK,
      direction: 'INGRESS',
      priority: 1000,
      sourceRanges,
      targetTags: ['win-k8s-kubernetes-win'],
      allowed,
      selfLink: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/firewalls/${name}`,
      creationTimestamp: new Date().toISOString(),
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'remove-gcp-'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyPath = join(dir, 'key.json');
    writeFileSync(
      keyPath,
      JSON.stringify({ type: 'service_account', project_id: PROJECT, private_key_id: 'key0123456789abcdef', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: SA_EMAIL, client_id: '100000000000000000001', token_uri: 'https://oauth2.googleapis.com/token' }),
      { mode: 0o600 },
    );
    gce = await startGceFake({
      project: PROJECT,
      zones: { [ZONE]: ['n2-standard-4'] },
      images: [{ project: 'windows-cloud', name: 'windows-server-2022-dc-core-v20260101', family: 'windows-2022-core', diskSizeGb: 50, windows: true }],
      networks: [{ name: 'k8s', subnetworks: [{ name: 'nodes', region: REGION, ipCidrRange: '10.20.0.0/20' }] }],
      instances: [{ name: 'cp-1', zone: ZONE, subnetwork: `projects/${PROJECT}/regions/${REGION}/subnetworks/nodes`, networkIP: '10.20.0.2' }],
      requireAuth: { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), clientEmail: SA_EMAIL },
    });
    fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    for (const node of fake.store.list('nodes')) {
      (node.spec as { providerID: string }).providerID = `gce://${PROJECT}/${ZONE}/${(node.metadata as { name: string }).name}`;
      fake.store.put(node);
    }
    kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    // The pool's node-port rule as join makes it, and an RDP rule of the same name someone else made.
    putFirewall('win-k8s-kubernetes-win', 'win-k8s: node ports of pool win in cluster kubernetes', [{ IPProtocol: 'tcp', ports: ['10250', '10256'] }, { IPProtocol: 'udp', ports: ['4789'] }], ['10.20.0.0/20']);
    putFirewall('win-k8s-kubernetes-win-rdp', 'RDP for the ops team', [{ IPProtocol: 'tcp', ports: ['3389'] }], ['203.0.113.0/24']);
  });

  after(async () => {
    await fake?.stop();
    await gce?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') assert.deepEqual(gce.violations, [], 'every response of the fake matched compute.proto');
  });

  it('names win-k8s\'s rule with its id and what it allows, not the same-named rule it did not make, and deletes nothing', async () => {
    const from = gce.requests.length;
    const r = await cli(['remove', '--pool', 'win', '--cloud', 'gcp', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as RemovePlan;
    const id = String(gce.firewalls.get('win-k8s-kubernetes-win')!.id);
    assert.deepEqual(plan.poolFirewalls, [
      {
        pool: 'win',
        cloud: 'gcp',
        firewalls: [
          {
            id,
            name: 'win-k8s-kubernetes-win',
            rules: ['ingress tcp 10250,10256 from 10.20.0.0/20 to instances tagged win-k8s-kubernetes-win in network k8s', 'ingress udp 4789 from 10.20.0.0/20 to instances tagged win-k8s-kubernetes-win in network k8s'],
          },
        ],
      },
    ]);
    const writes = gce.requests.slice(from).filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`);
    assert.deepEqual(writes, [], 'a dry run only reads');
    assert.deepEqual([...gce.firewalls.keys()].sort(), ['win-k8s-kubernetes-win', 'win-k8s-kubernetes-win-rdp']);

    const human = await cli(['remove', '--pool', 'win', '--cloud', 'gcp', '--dry-run']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^would delete ${id} \\(win-k8s-kubernetes-win\\) of pool win, with its rules:\\n {2}ingress tcp 10250,10256 from 10\\.20\\.0\\.0/20`, 'm'));
    assert.doesNotMatch(human.stdout, /rdp|3389/);
    assert.match(human.stdout, /--dry-run: nothing was deleted\n$/);
  });
});
