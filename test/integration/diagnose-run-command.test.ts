import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ADMIN_TOKEN, FakeKubeApiServer, SimulatedKubelet, healthyKubeadmFlannel, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { WINDOWS_AMIS, motoCliEnv, motoEc2, seedCluster, startAwsProxy, startMoto, type AwsProxy, type MotoServer, type SeededCluster } from '../fakes/moto/index.js';
import { putHealthyWindowsNode } from '../helpers/diagnose.js';
import { parsePowerShell } from '../helpers/powershell.js';
import { packScript } from '../../src/cloud/aws/run-command.js';
import type { DiagnoseDocument } from '../../src/diagnose/types.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const report = readFileSync(new URL('../fixtures/node-checks/healthy-containerd-flannel.json', import.meta.url), 'utf8');

/** What the VM would run: the payload of the packed command, decoded as PowerShell would. */
function unpack(command: string): string {
  const b64 = /FromBase64String\('([A-Za-z0-9+/=]+)'\)/.exec(command)?.[1];
  assert.ok(b64, 'packed payload');
  return gunzipSync(Buffer.from(b64, 'base64')).toString('utf8');
}

describe('diagnose on Docker nodes: the on-node script through SSM Run Command (moto)', function () {
  this.timeout(90_000);
  let moto: MotoServer;
  let proxy: AwsProxy;
  let fake: FakeKubeApiServer;
  let kubelet: SimulatedKubelet;
  let seeded: SeededCluster;
  let ec2: EC2Client;
  let kubeconfig: string;
  const ran: Array<{ instanceId: string; script: string }> = [];

  before(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url, {
      runCommand: (instanceId, commands) => {
        const script = unpack(commands.join('\n'));
        ran.push({ instanceId, script });
        // What the compact wrapper prints last: the report, gzip'd and base64'd, on one line.
        assert.match(script, /WIN-K8S-NODE-REPORT-GZ/);
        return { stdout: `WIN-K8S-NODE-REPORT-GZ ${gzipSync(Buffer.from(report)).toString('base64')}\r\n`, exitCode: 0 };
      },
    });
    seeded = await seedCluster(moto.url, { cluster: 'kubernetes' });
    ec2 = motoEc2(moto.url);
    fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    kubelet = new SimulatedKubelet(fake).start();
    kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: WINDOWS_AMIS['Windows_Server-2022-English-Core-Base'],
        MinCount: 1,
        MaxCount: 1,
        SubnetId: seeded.subnetId,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'win-k8s.io/cluster', Value: 'kubernetes' }, { Key: 'win-k8s.io/pool', Value: 'dock' }, { Key: 'win-k8s.io/node-name', Value: 'win-1' }] }],
      }),
    );
    const id = run.Instances![0]!.InstanceId!;
    // win-1 was made by win-k8s (pool label, tagged VM) and runs Docker; win-2 runs Docker but is not ours.
    putHealthyWindowsNode(fake, 'win-1', { octet: 21, runtime: 'docker://20.10.24', pool: 'dock' });
    putHealthyWindowsNode(fake, 'win-2', { octet: 22, runtime: 'docker://20.10.24' });
    const node = fake.store.get('nodes', undefined, 'win-1')!;
    (node['spec'] as { providerID: string }).providerID = `aws:///${seeded.zone}/${id}`;
    fake.store.put(node);
  });

  after(async () => {
    kubelet?.stop();
    ec2?.destroy();
    await fake?.stop();
    await proxy?.stop();
    await moto?.stop();
  });

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const env = motoCliEnv(proxy.url, { WIN_K8S_POLL_INTERVAL: '50' });
      const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', kubeconfig], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('the packed command is valid PowerShell and carries the whole script', () => {
    const script = 'param([string]$A = "x")\nWrite-Output "hello $A"\n';
    const packed = packScript(script);
    assert.deepEqual(parsePowerShell(packed), []);
    assert.equal(unpack(packed), script);
  });

  it('runs the script through SSM on the Docker VM win-k8s created, and skips the other Docker node with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diagnose-rc-'));
    const bundle = join(dir, 'support.tgz');
    const r = await cli(['diagnose', '-o', 'json', '--skip-probes', '--checks', 'cluster.windows-nodes,node.host.*', '--probe-timeout', '30s', '--bundle', bundle]);
    const doc = JSON.parse(r.stdout) as DiagnoseDocument;
    const c = (id: string, node: string) => doc.checks.find((x) => x.id === id && x.node === node)!;
    assert.equal(c('node.host.report', 'win-1').status, 'pass', `${c('node.host.report', 'win-1').message}\n${r.stderr}`);
    assert.equal(ran.length, 1);
    assert.match(ran[0]!.script, /WIN-K8S-NODE-REPORT-BEGIN/, 'the node-checks script ran');
    assert.deepEqual(parsePowerShell(ran[0]!.script), [], 'the script sent is valid PowerShell');
    assert.match(ran[0]!.script, /\$winK8sNodeChecks = @\{.*PodCidr = '10\.244\.21\.0\/24'/, 'with this node\'s parameters');
    assert.equal(proxy.calls('SendCommand').length, 1);
    const other = c('node.host.report', 'win-2');
    assert.equal(other.status, 'skip');
    assert.match(other.message, /only on VMs win-k8s created/);
    // The built CLI writes the bundle too: the node report that came over SSM, and the objects.
    const listing = execFileSync('tar', ['-tzf', bundle], { encoding: 'utf8' }).split('\n');
    for (const f of ['diagnose.json', 'cluster/nodes.yaml', 'nodes/win-1/node-report.json', 'README.txt']) assert.ok(listing.includes(f), `${f} in ${listing.join(' ')}`);
    rmSync(dir, { recursive: true, force: true });
    // No HostProcess pod was tried on Docker nodes.
    assert.equal(fake.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/pods')).length, 0);
  });
});
