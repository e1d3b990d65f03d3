import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeArm, type FakeArm } from '../fakes/arm/index.js';
import { CP_NIC, CP_VM, RG, SUB, SUBNET, VNET } from '../fakes/arm/ids.js';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, placeControlPlane, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import type { PlanDocument } from '../../src/plan/plan-document.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

/** plan and join --dry-run ask ARM (the fake) what join would ask it, and change nothing there. */
describe('plan asks Azure, reading only (fake ARM)', function () {
  this.timeout(60_000);
  let arm: FakeArm;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let dir: string;
  let caBundle: string;

  const credentials = () => ({ IDENTITY_ENDPOINT: arm.identity.endpoint, IDENTITY_HEADER: arm.identity.header });
  const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: dir, AZURE_ARM_ENDPOINT: arm.url, NODE_EXTRA_CA_CERTS: caBundle, NO_COLOR: '1' });

  function cli(args: string[], env: Record<string, string> = { ...baseEnv(), ...credentials() }): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

  /** Reads only: GETs (and the token the identity endpoint issues, which is not ARM). */
  function assertOnlyReads(from: number): void {
    const writes = arm.calls.slice(from).filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`);
    assert.deepEqual(writes, [], 'plan changed nothing in ARM');
    assert.ok(arm.calls.length > from, 'ARM was asked');
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plan-azure-'));
    arm = await startFakeArm({ subscription: SUB, staticTokens: [], vmSizes: { eastus: ['Standard_D2s_v5', 'Standard_D4s_v5'] } });
    arm.seed(VNET, { type: 'Microsoft.Network/virtualNetworks', location: 'eastus', properties: { addressSpace: { addressPrefixes: ['10.1.0.0/16'] } } });
    arm.seed(SUBNET, { type: 'Microsoft.Network/virtualNetworks/subnets', properties: { addressPrefix: '10.1.0.0/24' } });
    arm.seed(CP_NIC, { type: 'Microsoft.Network/networkInterfaces', location: 'eastus', properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { primary: true, subnet: { id: SUBNET }, privateIPAddress: '10.1.0.4' } }] } });
    arm.seed(CP_VM, { type: 'Microsoft.Compute/virtualMachines', location: 'eastus', properties: { networkProfile: { networkInterfaces: [{ id: CP_NIC, properties: { primary: true } }] } } });
    const inherited = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8') : '';
    caBundle = join(dir, 'ca.pem');
    writeFileSync(caBundle, `${inherited.trimEnd()}\n${arm.caPem}`);
    fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    placeControlPlane(fake, `azure://${CP_VM}`);
    kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
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
    assertOnlyReads(from);
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

  it('no Azure credentials: exit 3 with the hint, as join', async () => {
    const r = await cli(['plan', '--api-server', 'cp.example.internal:6443'], baseEnv());
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /cloud\.access/);
    assert.match(r.stdout, /credential/i);
  });
});
