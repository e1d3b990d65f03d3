import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { startGceFake, type GceFake } from '../fakes/gce/index.js';
import type { PlanDocument } from '../../src/plan/plan-document.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const PROJECT = 'demo-proj';
const ZONE = 'europe-west1-b';
const REGION = 'europe-west1';
const SA_EMAIL = 'win-k8s@demo-proj.iam.gserviceaccount.com';

/** plan and join --dry-run ask the Compute API (the fake) what join would ask it, and change nothing. */
describe('plan asks GCP, reading only (fake Compute API)', function () {
  this.timeout(60_000);
  let gce: GceFake;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let dir: string;
  let keyPath: string;

  const baseEnv = () => ({
    PATH: process.env.PATH ?? '',
    HOME: dir,
    CLOUDSDK_CONFIG: join(dir, 'gcloud'),
    CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: `http://127.0.0.1:${gce.port}/compute/v1/`,
    METADATA_SERVER_DETECTION: 'none',
    NO_COLOR: '1',
  });

  function cli(args: string[], env: Record<string, string> = { ...baseEnv(), GOOGLE_APPLICATION_CREDENTIALS: keyPath }): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', kubeconfig], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function plan(args: string[] = [], verb: string[] = ['plan']) {
    const r = await cli([...verb, '--api-server', 'cp.example.internal:6443', '-o', 'json', ...args]);
    const doc = JSON.parse(r.stdout) as PlanDocument;
    assert.ok(doc.checks, `no plan: ${r.stderr}`);
    return { ...r, doc, check: (id: string) => doc.checks.find((c) => c.id === id) };
  }

  function assertOnlyReads(from: number): void {
    const writes = gce.requests.slice(from).filter((q) => q.method !== 'GET').map((q) => `${q.method} ${q.path}`);
    assert.deepEqual(writes, [], 'plan changed nothing in Compute Engine');
    assert.ok(gce.requests.length > from, 'the Compute API was asked');
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plan-gcp-'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keyPath = join(dir, 'key.json');
    writeFileSync(
      keyPath,
      JSON.stringify({ type: 'service_account', project_id: PROJECT, private_key_id: 'key0123456789abcdef', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: SA_EMAIL, client_id: '100000000000000000001', token_uri: 'https://oauth2.googleapis.com/token' }),
      { mode: 0o600 },
    );
    gce = await startGceFake({
      project: PROJECT,
      zones: { [ZONE]: ['n2-standard-4', 'e2-standard-2'] },
      // Windows Server 2022 only: another version's image is missing.
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
  });

  after(async () => {
    await fake?.stop();
    await gce?.stop();
  });

  it('a clean plan: joinable, with the zone, subnetwork and image, nothing written', async () => {
    const from = gce.requests.length;
    const r = await plan();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.doc.joinable, true);
    assert.deepEqual([r.doc.cloud?.region, r.doc.cloud?.zone], [REGION, ZONE]);
    assert.match(r.doc.cloud!.image!.name, /windows-server-2022-dc-core-v20260101/);
    const quota = r.check('cloud.quota');
    assert.equal(quota?.status, 'pass', quota?.message);
    // n2-standard-4 counts against N2_CPUS, not CPUS; a pd-balanced boot disk against SSD_TOTAL_GB.
    assert.match(quota!.message, /N2_CPUS: 4 needed, 24 free \(0 of 24 vCPUs in use\); SSD_TOTAL_GB: 100 needed, 500 free/);
    assert.doesNotMatch(quota!.message, /IN_USE_ADDRESSES/, 'no external IP asked for');
    assertOnlyReads(from);
  });

  it('a pool that does not fit in the region\'s quotas: not joinable, with the numbers and where to ask for more', async () => {
    gce.quotaLimits.set(`${REGION}/N2_CPUS`, 16);
    gce.quotaUsed.set(`${REGION}/N2_CPUS`, 8);
    try {
      const from = gce.requests.length;
      const r = await plan(['--count', '3']);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.doc.joinable, false);
      const c = r.check('cloud.quota');
      assert.equal(c?.status, 'fail', JSON.stringify(r.doc.checks));
      assert.match(c!.message, /N2_CPUS: 12 needed, 8 free \(8 of 16 vCPUs in use\)/);
      assert.match(c!.hint!, /https:\/\/cloud\.google\.com\/compute\/resource-usage/);
      assertOnlyReads(from);
      // e2 counts against CPUS, which has room; external IPs against IN_USE_ADDRESSES (8 by default).
      const e2 = await plan(['--count', '3', '--instance-type', 'e2-standard-2']);
      assert.equal(e2.check('cloud.quota')?.status, 'pass', e2.check('cloud.quota')?.message);
      assert.match(e2.check('cloud.quota')!.message, /CPUS: 6 needed, 22 free \(2 of 24 vCPUs in use\)/);
      gce.quotaLimits.set(`${REGION}/IN_USE_ADDRESSES`, 2);
      const ips = await plan(['--count', '3', '--instance-type', 'e2-standard-2', '--external-ip']);
      assert.equal(ips.check('cloud.quota')?.status, 'fail', ips.check('cloud.quota')?.message);
      assert.match(ips.check('cloud.quota')!.message, /IN_USE_ADDRESSES: 3 needed, 2 free \(0 of 2 addresses in use\)/);
    } finally {
      gce.quotaLimits.clear();
      gce.quotaUsed.clear();
    }
  });

  it('the region not readable (a role without compute.regions.get): a warning, still joinable', async () => {
    gce.faults.refuse('GET', new RegExp(`/regions/${REGION}$`), 403, 'forbidden', `Required 'compute.regions.get' permission for 'projects/${PROJECT}/regions/${REGION}'`);
    const r = await plan();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.doc.joinable, true);
    const c = r.check('cloud.quota');
    assert.equal(c?.status, 'warn', c?.message);
    assert.match(c!.message, /quota not readable: .*compute\.regions\.get/);
  });

  it('--region mars-1 (plan and join --dry-run): not joinable, naming --region', async () => {
    for (const verb of [['plan'], ['join', '--dry-run']]) {
      const r = await plan(['--region', 'mars-1'], verb);
      assert.equal(r.code, 1, `${verb[0]}: ${r.stderr}`);
      assert.equal(r.doc.joinable, false);
      assert.match(r.check('cloud.region')!.message, /--region: mars-1 is not the region of zone europe-west1-b/);
      assert.match(r.check('cloud.region')!.hint!, /--zone/);
    }
  });

  it('a machine type the zone does not offer: not joinable, naming --instance-type', async () => {
    const from = gce.requests.length;
    const r = await plan(['--instance-type', 'n2-highmem-96']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.check('cloud.instance-type')?.status, 'fail');
    assert.match(r.check('cloud.instance-type')!.message, /--instance-type: machine type n2-highmem-96 is not offered in europe-west1-b/);
    assertOnlyReads(from);
  });

  it('no image of the Windows version: not joinable, the finding names --windows-version or --image', async () => {
    const r = await plan(['--windows-version', '2019']);
    assert.equal(r.code, 1, r.stderr);
    const c = r.check('cloud.image');
    assert.equal(c?.status, 'fail', JSON.stringify(r.doc.checks));
    assert.match(`${c!.message} ${c!.hint ?? ''}`, /--windows-version|--image/);
  });

  it('no GCP credentials: exit 3 with the hint, as join', async () => {
    const r = await cli(['plan', '--api-server', 'cp.example.internal:6443'], baseEnv());
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /cloud\.access/);
    assert.match(r.stdout, /credential/i);
  });
});
