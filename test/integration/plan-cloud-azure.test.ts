import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import type { FakeArm } from '../fakes/arm/index.js';
import { CP_NIC, RG, SUB, SUBNET } from '../fakes/arm/ids.js';
import type { FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { armCliEnv, armCredentials, startAzureCliEnv } from '../helpers/azure-cli-env.js';
import { assertOnlyGets, readPlan } from '../helpers/plan-run.js';
import { spawnCli } from '../helpers/spawn-cli.js';

/** plan and join --dry-run ask ARM (the fake) what join would ask it, and change nothing there. */
describe('plan asks Azure, reading only (fake ARM)', function () {
  this.timeout(60_000);
  let arm: FakeArm;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let dir: string;
  let caBundle: string;

  const credentials = () => armCredentials(arm);
  const baseEnv = () => armCliEnv(dir, arm, caBundle);

  const cli = (args: string[], env: Record<string, string> = { ...baseEnv(), ...credentials() }) => spawnCli(args, env, kubeconfig);

  const plan = async (args: string[] = [], verb: string[] = ['plan']) => readPlan(await cli([...verb, '--api-server', 'cp.example.internal:6443', '-o', 'json', ...args]));

  /** Reads only: GETs (and the token the identity endpoint issues, which is not ARM). */
  const assertOnlyReads = (from: number) => assertOnlyGets(arm.calls, from, 'ARM');

  before(async () => {
    ({ dir, arm, fake, kubeconfig, caBundle } = await startAzureCliEnv({ prefix: 'plan-azure-', vmSizes: ['Standard_D2s_v5', 'Standard_D4s_v5'] }));
  });

  after(async () => {
    await fake?.stop();
    await arm?.close();
  });

  it('a clean plan: joinable, with the location and subnet, nothing written', async () => {
    const from = arm.calls.length;
    const r = await plan();
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.doc.joinable, true);
    assert.equal(r.check('cloud.placement')?.status, 'pass', r.check('cloud.placement')?.message);
    assert.equal(r.doc.cloud?.region, 'eastus');
    assert.equal(r.doc.cloud?.subnet, SUBNET);
    assert.equal(r.doc.target.region, 'eastus');
    const quota = r.check('cloud.quota');
    assert.equal(quota?.status, 'pass', quota?.message);
    assert.match(quota!.message, /cores: 4 needed, 350 free \(0 of 350 vCPUs in use\); standardDSv5Family: 4 needed/);
    assertOnlyReads(from);
    // The placement and the quota both need the size's SKU: the location's list is read once.
    assert.equal(arm.calls.slice(from).filter((c) => /\/providers\/Microsoft\.Compute\/skus$/i.test(c.path)).length, 1);
  });

  it('a pool that does not fit in the family\'s vCPU quota: not joinable, with the numbers and where to ask for more', async () => {
    arm.quotaLimits.set('eastus/standarddsv5family', 10);
    arm.quotaUsed.set('eastus/standarddsv5family', 4);
    try {
      const from = arm.calls.length;
      const r = await plan(['--count', '2']);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.doc.joinable, false);
      const c = r.check('cloud.quota');
      assert.equal(c?.status, 'fail', JSON.stringify(r.doc.checks));
      assert.match(c!.message, /standardDSv5Family: 8 needed, 6 free \(4 of 10 vCPUs in use\)/);
      assert.doesNotMatch(c!.message, /cores:/, 'the regional total has room');
      assert.match(c!.hint!, /--count.*https:\/\/learn\.microsoft\.com\/azure\/quotas\/per-vm-quota-requests/);
      assertOnlyReads(from);
      // One VM fits: 4 of the 6 free.
      const one = await plan(['--count', '1']);
      assert.equal(one.check('cloud.quota')?.status, 'pass', one.check('cloud.quota')?.message);
    } finally {
      arm.quotaLimits.clear();
      arm.quotaUsed.clear();
    }
  });

  it('usages not readable (a role without it): a warning, still joinable', async () => {
    arm.faults.denyPath = /\/usages$/;
    try {
      const r = await plan();
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.equal(r.doc.joinable, true);
      const c = r.check('cloud.quota');
      assert.equal(c?.status, 'warn', c?.message);
      assert.match(c!.message, /quota not readable/);
      assert.equal(r.check('cloud.access'), undefined, 'not an access failure');
    } finally {
      arm.faults.denyPath = undefined;
    }
  });

  it('a VM size the subscription is barred from in the location (Resource SKU restriction): not joinable, naming --instance-type', async () => {
    arm.skuRestrictions.set('Standard_D4s_v5', [{ type: 'Location', reasonCode: 'NotAvailableForSubscription' }]);
    try {
      const from = arm.calls.length;
      const r = await plan();
      assert.equal(r.code, 1, r.stderr);
      const c = r.check('cloud.instance-type');
      assert.equal(c?.status, 'fail', JSON.stringify(r.doc.checks));
      assert.match(c!.message, /--instance-type: VM size Standard_D4s_v5 is not available to this subscription there \(NotAvailableForSubscription\) in eastus/);
      assert.match(c!.hint!, /aka\.ms\/azureskunotavailable/);
      assert.equal(r.check('cloud.quota'), undefined, 'no quota verdict for a size that cannot be had');
      assertOnlyReads(from);
      // Restricted in some zones only: win-k8s does not pin a zone, so the location still serves.
      arm.skuRestrictions.set('Standard_D4s_v5', [{ type: 'Zone', reasonCode: 'NotAvailableForSubscription', zones: ['2'] }]);
      const zonal = await plan();
      assert.equal(zonal.check('cloud.placement')?.status, 'pass', zonal.check('cloud.instance-type')?.message);
    } finally {
      arm.skuRestrictions.clear();
    }
  });

  it('a marketplace image SKU the location does not publish: not joinable, naming --windows-version; a version it lacks names --image', async () => {
    const saved = new Map(arm.marketplace);
    for (const k of [...arm.marketplace.keys()]) if (k.startsWith('eastus/')) arm.marketplace.delete(k);
    try {
      const from = arm.calls.length;
      const r = await plan();
      assert.equal(r.code, 1, r.stderr);
      const c = r.check('cloud.image');
      assert.equal(c?.status, 'fail', JSON.stringify(r.doc.checks));
      assert.match(c!.message, /--windows-version: image MicrosoftWindowsServer:WindowsServer:\S+ is not offered in eastus/);
      assertOnlyReads(from);
    } finally {
      for (const [k, v] of saved) arm.marketplace.set(k, v);
    }
    const r = await plan(['--image', 'MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:20348.1.100']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.check('cloud.image')!.message, /--image: image MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2 has no version 20348\.1\.100 in eastus/);
    const ok = await plan(['--image', 'MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest']);
    assert.equal(ok.check('cloud.image')?.status, 'pass', ok.check('cloud.image')?.message);
  });

  it('the fake refuses what ARM refuses: no api-version, an unserved one, a Resource SKUs filter other than location', async () => {
    const token = await fetchToken();
    const get = (path: string) => armGet(path, token);
    const base = `/subscriptions/${SUB}/providers/Microsoft.Compute`;
    assert.deepEqual(await get(`${base}/locations/eastus/usages`), { status: 400, code: 'MissingApiVersionParameter' });
    assert.deepEqual(await get(`${base}/skus?api-version=2024-03-01`), { status: 400, code: 'InvalidApiVersionParameter' });
    assert.deepEqual(await get(`${base}/skus?api-version=2021-07-01&$filter=${encodeURIComponent("name eq 'Standard_D4s_v5'")}`), { status: 400, code: 'InvalidParameter' });
    assert.deepEqual(await get(`${base}/skus?api-version=2021-07-01&$filter=${encodeURIComponent("location eq 'eastus'")}`), { status: 200, code: undefined });
    assert.deepEqual(await get(`${base}/locations/eastus/publishers/MicrosoftWindowsServer/artifacttypes/vmimage/offers/WindowsServer/skus/no-such-sku/versions?api-version=2024-07-01`), { status: 404, code: 'NotFound' });
  });

  it('the fake refuses a VM that plan would have failed: image not published, size restricted, quota exceeded', async () => {
    const token = await fetchToken();
    const vm = (size: string, sku: string) => ({
      location: 'eastus',
      properties: {
        hardwareProfile: { vmSize: size },
        storageProfile: { imageReference: { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku, version: 'latest' } },
        osProfile: { computerName: 'refused-1', adminUsername: 'azureuser', adminPassword: 'Aa1!aaaaaaaaaaaa' },
        networkProfile: { networkInterfaces: [{ id: CP_NIC }] },
      },
    });
    const put = (body: unknown) => armRequest('PUT', `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/refused-1?api-version=2024-07-01`, token, body);
    assert.deepEqual(await put(vm('Standard_D4s_v5', 'no-such-sku')), { status: 404, code: 'PlatformImageNotFound' });
    arm.skuRestrictions.set('Standard_D4s_v5', [{ type: 'Location', reasonCode: 'NotAvailableForSubscription' }]);
    try {
      assert.deepEqual(await put(vm('Standard_D4s_v5', '2022-datacenter-core-g2')), { status: 409, code: 'SkuNotAvailable' });
    } finally {
      arm.skuRestrictions.clear();
    }
    arm.quotaLimits.set('eastus/standarddsv5family', 2);
    try {
      assert.deepEqual(await put(vm('Standard_D4s_v5', '2022-datacenter-core-g2')), { status: 409, code: 'QuotaExceeded' });
    } finally {
      arm.quotaLimits.clear();
    }
    assert.equal(arm.ofType('Microsoft.Compute/virtualMachines').filter((r) => r.name === 'refused-1').length, 0, 'nothing created');
  });

  it('--region mars-1 (plan and join --dry-run): not joinable, naming --region', async () => {
    for (const verb of [['plan'], ['join', '--dry-run']]) {
      const from = arm.calls.length;
      const r = await plan(['--region', 'mars-1'], verb);
      assert.equal(r.code, 1, `${verb[0]}: ${r.stderr}`);
      assert.equal(r.doc.joinable, false);
      const c = r.check('cloud.region');
      assert.equal(c?.status, 'fail');
      assert.match(c!.message, /--region: location mars-1 is not that of virtual network k8s-vnet \(eastus\)/);
      assertOnlyReads(from);
    }
  });

  it('a VM size the location does not offer: not joinable, naming --instance-type', async () => {
    const from = arm.calls.length;
    const r = await plan(['--instance-type', 'Standard_M416ms_v2']);
    assert.equal(r.code, 1, r.stderr);
    const c = r.check('cloud.instance-type');
    assert.equal(c?.status, 'fail');
    assert.match(c!.message, /--instance-type: VM size Standard_M416ms_v2 is not available in eastus/);
    assert.match(c!.hint!, /Standard_D2s_v5/);
    assertOnlyReads(from);
  });

  async function fetchToken(): Promise<string> {
    const res = await fetch(`${arm.identity.endpoint}?api-version=2019-08-01&resource=${encodeURIComponent(arm.url)}`, { headers: { 'X-IDENTITY-HEADER': arm.identity.header } });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  function armGet(path: string, token: string): Promise<{ status: number; code: string | undefined }> {
    return armRequest('GET', path, token);
  }

  function armRequest(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; code: string | undefined }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${arm.url}${path}`, { method, ca: arm.caPem, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          const parsed = body ? (JSON.parse(body) as { error?: { code?: string } }) : {};
          resolve({ status: res.statusCode ?? 0, code: Array.isArray(parsed) ? undefined : parsed.error?.code });
        });
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  it('no Azure credentials: exit 3 with the hint, as join', async () => {
    const r = await cli(['plan', '--api-server', 'cp.example.internal:6443'], baseEnv());
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /cloud\.access/);
    assert.match(r.stdout, /credential/i);
  });
});
