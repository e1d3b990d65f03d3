import assert from 'node:assert/strict';
import type { GceFake } from '../fakes/gce/index.js';
import type { FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { gceCliEnv, PROJECT, REGION, startGcpCliEnv, ZONE } from '../helpers/gcp-cli-env.js';
import { assertOnlyGets, readPlan } from '../helpers/plan-run.js';
import { spawnCli } from '../helpers/spawn-cli.js';

/** plan and join --dry-run ask the Compute API (the fake) what join would ask it, and change nothing. */
describe('plan asks GCP, reading only (fake Compute API)', function () {
  this.timeout(60_000);
  let gce: GceFake;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let dir: string;
  let keyPath: string;

  const baseEnv = () => gceCliEnv(dir, gce);

  const cli = (args: string[], env: Record<string, string> = { ...baseEnv(), GOOGLE_APPLICATION_CREDENTIALS: keyPath }) => spawnCli(args, env, kubeconfig);

  const plan = async (args: string[] = [], verb: string[] = ['plan']) => readPlan(await cli([...verb, '--api-server', 'cp.example.internal:6443', '-o', 'json', ...args]));

  const assertOnlyReads = (from: number) => assertOnlyGets(gce.requests, from, 'Compute Engine');

  before(async () => {
    ({ dir, gce, fake, kubeconfig, keyPath } = await startGcpCliEnv({ prefix: 'plan-gcp-', machineTypes: ['n2-standard-4', 'e2-standard-2'] }));
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
    // The placement and the quota both need the machine type: it is read once.
    assert.equal(gce.requests.slice(from).filter((q) => /\/machineTypes\/n2-standard-4(\?|$)/.test(q.path)).length, 1);
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
