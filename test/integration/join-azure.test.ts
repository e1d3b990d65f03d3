import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminPasswordOf, readBootstrap, sizeOffersNestedVirtualization, type FakeArm } from '../fakes/arm/index.js';
import { CP_NIC, CP_VM, RG, SUB, SUBNET, VNET } from '../fakes/arm/ids.js';
import { makeNode, winK8sTokenSecrets, type FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { armCliEnv, armCredentials, startAzureCliEnv } from '../helpers/azure-cli-env.js';
import { spawnCli } from '../helpers/spawn-cli.js';
import { SimulatedNodeAgent } from '../fakes/node-agent/agent.js';
import type { JoinResult } from '../../src/pool/result.js';

const TAG_POOL = 'win-k8s.io_pool';
const TAG_CLUSTER = 'win-k8s.io_cluster';
const TAG_NODE = 'win-k8s.io_node-name';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Json = Record<string, any>;

describe('win-k8s join on Azure, end to end (fake ARM + fake kube-apiserver + simulated nodes)', function () {
  this.timeout(120_000);
  let arm: FakeArm;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let agent: SimulatedNodeAgent;
  let dir: string;
  let caBundle: string;
  const outputs: string[] = [];
  /** Every admin password ARM received, gathered while the VMs exist. */
  const passwords = new Set<string>();
  /** Pools whose simulated nodes use a wrong bootstrap token (the broken-token tests). */
  const brokenPools = new Set(['bad', 'bad2', 'bad3']);
  /**
   * Pools whose VMs have COM1 held by the Serial Console's SAC: the serial log stays empty, and the
   * bootstrap's Write-Host lines reach only the Custom Script Extension's stdout, which the
   * extension reports once its command has ended.
   */
  const sacPools = new Set(['sac']);
  /**
   * Pools whose image has the Windows features already: no restart, the whole bootstrap runs inside
   * the extension. Every other pool restarts after its features phase, as a marketplace image does.
   */
  const noRestartPools = new Set(['bad', 'bad2', 'sac']);
  /** Pools where Windows goes down before the extension has seen the bootstrap's exit 0. */
  const cutPools = new Set(['intr', 'bad3']);
  /** VMs past the features restart: the resume task runs the rest, with COM1 its only output. */
  const restarted = new Set<string>();
  /** What each VM's node read at boot (customData and the extension's command). */
  const deliveredTo = new Map<string, ReturnType<typeof readBootstrap>>();
  /** The extension's run state right after each VM's features restart (the extension goes after the join). */
  const cseAfterRestart = new Map<string, string | undefined>();
  /** VMs whose bootstrap has ended in a failure the simulated Windows produced (no Hyper-V). */
  const dead = new Set<string>();
  const poolOf = (vmName: string) => arm.ofType('Microsoft.Compute/virtualMachines').find((vm) => vm.name === vmName)?.tags?.[TAG_POOL] as string | undefined;

  // DefaultAzureCredential finds the fake's managed identity (see armCredentials).
  const env = () => ({ ...armCliEnv(dir, arm, caBundle), ...armCredentials(arm), WIN_K8S_POLL_INTERVAL: '100' });

  async function cli(args: string[]): Promise<Run> {
    const r = await spawnCli(args, env(), kubeconfig);
    outputs.push(r.stdout, r.stderr);
    return r;
  }

  const join_ = (args: string[]) => cli(['join', '--cloud', 'azure', '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json', ...args]);

  const ofPool = (type: string, pool?: string) => arm.ofType(type).filter((r) => r.tags?.[TAG_CLUSTER] === 'kubernetes' && (pool === undefined || r.tags?.[TAG_POOL] === pool));
  const vms = (pool?: string) => ofPool('Microsoft.Compute/virtualMachines', pool);
  const vmPuts = () => arm.calls.filter((c) => c.method === 'PUT' && /\/virtualMachines\/[^/]+$/.test(c.path)).length;
  const bootstrapSecrets = () => winK8sTokenSecrets(fake);
  /** Everything of ours in the node resource group: the control plane's VM and NIC are not. */
  const leftovers = () => [...arm.resources.values()].filter((r) => String(r.id).includes(`/resourceGroups/${RG}/`) && r.id !== CP_VM && r.id !== CP_NIC).map((r) => String(r.id));
  const named = (name: string) => leftovers().filter((id) => id.split('/').some((part) => part === name || part.startsWith(`${name}-`)));

  function extensionOf(vmName: string): Json | undefined {
    return arm.ofType('Microsoft.Compute/virtualMachines/extensions').find((e) => String(e.id).includes(`/virtualMachines/${vmName}/extensions/`));
  }

  before(async () => {
    ({ dir, arm, fake, kubeconfig, caBundle } = await startAzureCliEnv({
      prefix: 'join-azure-',
      vmSizes: ['Standard_B2s', 'Standard_D4as_v4', 'Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_D8s_v5'],
      addressPrefixes: ['10.1.0.0/16', '10.2.0.0/16'],
    }));

    agent = new SimulatedNodeAgent({
      fake,
      pollMs: 100,
      console: {
        append: (vmName, line) => {
          const pool = poolOf(vmName) ?? '';
          const com1 = (l: string) => {
            if (!sacPools.has(pool)) arm.serialLogs.set(vmName, `${arm.serialLogs.get(vmName) ?? ''}${l}\n`);
          };
          if (dead.has(vmName)) return;
          if (line === 'win-k8s: features started' && /^\s*HypervIsolation = \$true/m.test(readBootstrap(arm, vmName).script)) {
            const size = String(arm.ofType('Microsoft.Compute/virtualMachines').find((vm) => vm.name === vmName)?.properties?.hardwareProfile?.vmSize);
            if (!sizeOffersNestedVirtualization(size)) {
              // Windows on a size without nested virtualization cannot install the Hyper-V role.
              dead.add(vmName);
              const failed = 'win-k8s: features failed Hyper-V isolation needs nested virtualization, which this VM does not have';
              com1(failed);
              arm.customScript(vmName)?.stdout(`2026-01-01T10:00:00+00:00 ${failed}`);
              arm.customScript(vmName)?.exit(1);
              return;
            }
          }
          com1(line);
          if (restarted.has(vmName)) return;
          // Until the restart the bootstrap runs as the extension's command: Write-Log's lines are its stdout.
          const run = arm.customScript(vmName);
          run?.stdout(`2026-01-01T10:00:00+00:00 ${line}`);
          const failed = /^win-k8s: \S+ failed (.*)$/.exec(line);
          if (failed) {
            // The bootstrap exits non-zero after a failed phase: the extension reports it.
            run?.stderr(`Exception calling "Join": ${failed[1]}`);
            run?.exit(1);
          } else if (/^win-k8s: complete done/.test(line)) {
            run?.exit(0);
          } else if (line === 'win-k8s: features done' && !noRestartPools.has(pool)) {
            // Restart-ForPhase: the resume task, the restart line (COM1 and stdout), shutdown /r /t 15, exit 0.
            com1('win-k8s: reboot Windows features or the computer name need a restart');
            run?.stdout('2026-01-01T10:00:00+00:00 rebooting: Windows features or the computer name need a restart; the startup task win-k8s-bootstrap resumes the bootstrap');
            if (!cutPools.has(pool)) run?.exit(0);
            arm.restartVm(vmName);
            restarted.add(vmName);
            const ext = extensionOf(vmName);
            cseAfterRestart.set(vmName, `${run?.state ?? 'none'} ${String(ext?.properties?.provisioningState)} ${String(ext?.properties?.instanceView?.statuses?.[0]?.message ?? '')}`);
          }
        },
      },
      source: {
        // A VM boots once it runs; the bootstrap starts when the Custom Script Extension exists.
        list: async () =>
          arm
            .ofType('Microsoft.Compute/virtualMachines')
            .filter((vm) => vm.tags?.[TAG_CLUSTER] === 'kubernetes' && vm.properties?.provisioningState === 'Succeeded' && (vm as { __power?: string }).__power === 'running' && extensionOf(String(vm.name)))
            .map((vm) => {
              const pw = adminPasswordOf(arm, String(vm.name));
              if (pw) passwords.add(pw);
              return { id: String(vm.name) };
            }),
        script: async (vmName) => {
          const delivered = readBootstrap(arm, vmName);
          deliveredTo.set(vmName, delivered);
          // What the extension runs must be the customData file win-k8s wrote, nothing else.
          assert.match(delivered.commandToExecute, /C:\\AzureData\\CustomData\.bin/);
          const pool = arm.ofType('Microsoft.Compute/virtualMachines').find((vm) => vm.name === vmName)?.tags?.[TAG_POOL];
          return brokenPools.has(pool) ? delivered.script.replace(/^\$BootstrapToken = '[^']*'/m, "$BootstrapToken = 'zzzzzz.zzzzzzzzzzzzzzzz'") : delivered.script;
        },
      },
    });
    agent.start();
  });

  after(async () => {
    await agent?.stop();
    await fake?.stop();
    await arm?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to create anything without --yes and without a TTY (exit 2)', async () => {
    const r = await cli(['join', '--cloud', 'azure', '--api-server', 'cp.example.internal:6443', '--count', '1']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--yes: confirmation needed/);
    assert.equal(arm.calls.filter((c) => c.method !== 'GET').length, 0);
  });

  it('a VM size the location does not offer is refused before anything is created (exit 2)', async () => {
    const r = await cli(['join', '--cloud', 'azure', '--api-server', 'cp.example.internal:6443', '--yes', '--count', '1', '--instance-type', 'Standard_Nope']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Standard_Nope is not available in eastus/);
    assert.match(r.stderr, /--instance-type/);
    assert.equal(arm.calls.filter((c) => c.method !== 'GET').length, 0);
  });

  it('--dry-run prints the plan and creates nothing', async () => {
    const r = await cli(['join', '--cloud', 'azure', '--api-server', 'cp.example.internal:6443', '--count', '2', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).nodes.length, 2);
    assert.equal(arm.calls.filter((c) => c.method !== 'GET').length, 0);
  });

  it('--disk-size below the image\'s 127 GiB and a --location other than the VNet\'s are refused before anything is created (exit 2)', async () => {
    const disk = await join_(['--pool', 'win', '--count', '1', '--disk-size', '100']);
    assert.equal(disk.code, 2, disk.stderr);
    assert.match(disk.stderr, /--disk-size: 100 GiB is smaller than the image's 127 GiB OS disk/);
    const location = await join_(['--pool', 'win', '--count', '1', '--location', 'westus']);
    assert.equal(location.code, 2, location.stderr);
    assert.match(location.stderr, /--location: location westus is not that of virtual network k8s-vnet \(eastus\)/);
    assert.equal(arm.calls.filter((c) => c.method !== 'GET').length, 0);
  });

  it('join --count 3: three Ready nodes, tagged VM/NIC/disk/NSG, VNet-only ports, no public IP, boot diagnostics, token deleted', async () => {
    const r = await join_(['--pool', 'win', '--count', '3']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as JoinResult;
    assert.equal(result.cluster, 'kubernetes');
    assert.equal(result.nodes.length, 3);
    for (const n of result.nodes) {
      assert.equal(n.status, 'Ready', JSON.stringify(n));
      assert.match(n.name, /^win-[a-z0-9]{5}$/);
      assert.ok(n.name.length <= 15);
      assert.equal(n.instanceId, `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${n.name}`);
      assert.match(n.privateIp!, /^10\.1\.0\.\d+$/);
      for (const phase of ['provision', 'boot', 'register', 'ready']) assert.equal(typeof n.phases[phase], 'number', `${n.name} lacks ${phase}`);
      const vm = arm.get(n.instanceId!)!;
      const tags = { [TAG_CLUSTER]: 'kubernetes', [TAG_POOL]: 'win', [TAG_NODE]: n.name };
      assert.deepEqual(vm.tags, tags);
      assert.equal(vm.location, 'eastus');
      assert.equal(vm.properties.osProfile.computerName, n.name);
      assert.deepEqual(vm.properties.diagnosticsProfile, { bootDiagnostics: { enabled: true } });
      const nic = arm.get(vm.properties.networkProfile.networkInterfaces[0].id)!;
      assert.deepEqual(nic.tags, tags);
      assert.equal(nic.properties.ipConfigurations[0].properties.subnet.id, SUBNET);
      assert.ok(nic.properties.ipConfigurations.every((c: Json) => c.properties.publicIPAddress === undefined), 'no public IP');
      assert.deepEqual(arm.get(vm.properties.storageProfile.osDisk.managedDisk.id)!.tags, tags);
      // No --disk-size: the image's own 127 GiB, not a default ARM would refuse.
      assert.equal(vm.properties.storageProfile.osDisk.diskSizeGB, 127);
      const node = fake.store.get('nodes', undefined, n.name)!;
      assert.equal((node.metadata as { labels: Record<string, string> }).labels['win-k8s.io/pool'], 'win');
      // The node joined with the token the extension's protectedSettings handed its stub; customData
      // (kept with the VM, copied to C:\AzureData) never had it.
      const token = agent.records.get(n.name)?.values?.token ?? '';
      assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
      const delivered = deliveredTo.get(n.name)!;
      assert.ok(!delivered.customDataBin.includes(token.split('.')[1]!), 'no token secret in customData');
      assert.ok(delivered.protectedCommand && delivered.commandToExecute.includes(`-Token '${token}'`));
      // Once the join is over the extension goes, and its token-bearing command with it.
      assert.equal(extensionOf(n.name), undefined, 'the bootstrap extension deleted after the join');
      assert.match(cseAfterRestart.get(n.name) ?? '', /^exited Succeeded Command execution finished$/);
    }
    assert.equal(arm.ofType('Microsoft.Network/publicIPAddresses').length, 0);
    const nsg = arm.get(`/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/win-k8s-kubernetes-win`)!;
    assert.deepEqual(nsg.tags, { [TAG_CLUSTER]: 'kubernetes', [TAG_POOL]: 'win' });
    const rules = (nsg.properties.securityRules as Json[]).map((x) => [x.properties.protocol, x.properties.destinationPortRange, x.properties.direction, x.properties.access, x.properties.sourceAddressPrefixes ?? x.properties.sourceAddressPrefix]);
    assert.deepEqual(rules, [
      ['Tcp', '10250', 'Inbound', 'Allow', ['10.1.0.0/16', '10.2.0.0/16']],
      ['Tcp', '10256', 'Inbound', 'Allow', ['10.1.0.0/16', '10.2.0.0/16']],
      ['Udp', '4789', 'Inbound', 'Allow', ['10.1.0.0/16', '10.2.0.0/16']],
    ]);
    assert.deepEqual(bootstrapSecrets(), [], 'bootstrap token deleted');
    assert.ok(fake.store.get('runtimeclasses.node.k8s.io', undefined, 'windows-2022'), 'RuntimeClass windows-2022');
    // Progress while ARM works: a line when each create is accepted, and one when it is done.
    assert.match(r.stderr, /OS disk: 127 GiB, the image's own size/);
    assert.equal(r.stderr.match(/VM create accepted by Azure/g)?.length, 3, r.stderr);
    assert.equal(r.stderr.match(/VM created/g)?.length, 3, r.stderr);
    // The real DefaultAzureCredential path: a managed identity token, and ARM never said 401.
    assert.ok(arm.identity.issued >= 1, 'a token came from the managed identity endpoint');
    assert.deepEqual(arm.calls.filter((c) => c.status === 401), []);
  });

  it('re-running tops the pool up from the tags instead of creating again', async () => {
    const before = vmPuts();
    const same = await join_(['--pool', 'win', '--count', '3']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(vmPuts(), before, 'nothing created');
    assert.ok((JSON.parse(same.stdout) as JoinResult).nodes.every((n) => n.existing && n.status === 'Ready'));
    const more = await join_(['--pool', 'win', '--count', '4']);
    assert.equal(more.code, 0, more.stderr);
    assert.equal(vmPuts(), before + 1);
    assert.equal(vms('win').length, 4);
    assert.equal((JSON.parse(more.stdout) as JoinResult).nodes.filter((n) => !n.existing).length, 1);
  });

  it('list joins VMs (power state from the instance view) and Nodes, and marks orphans', async () => {
    fake.store.put(makeNode({ name: 'win-orphn', os: 'windows', internalIP: '10.1.0.200', labels: { 'win-k8s.io/pool': 'win' } }));
    const stopped = vms('win')[0]! as { __power?: string; name: string };
    stopped.__power = 'deallocated';
    try {
      // The endpoint by flag this time: --azure-endpoint is the documented alternative.
      const r = await cli(['list', '-o', 'json', '--cloud', 'azure', '--azure-endpoint', arm.url]);
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout).nodes as { name: string; pool: string; vmState: string; nodeStatus: string; instanceId: string | null; cloud: string }[];
      assert.equal(rows.filter((x) => x.pool === 'win' && x.vmState === 'running' && x.nodeStatus === 'Ready').length, 3);
      assert.equal(rows.find((x) => x.name === stopped.name)?.vmState, 'stopped');
      const orphan = rows.find((x) => x.name === 'win-orphn');
      assert.equal(orphan?.vmState, 'Missing');
      assert.equal(orphan?.instanceId, null);
      const text = await cli(['list', '--cloud', 'azure']);
      assert.match(text.stdout, /win-orphn\s+win\s+azure\s+-\s+Missing/);
    } finally {
      stopped.__power = 'running';
      fake.store.remove('nodes', undefined, 'win-orphn');
    }
  });

  it('a 429 is retried after its Retry-After and the join still succeeds', async () => {
    arm.faults.throttle = 2;
    const r = await join_(['--pool', 'thr', '--count', '1']);
    assert.equal(r.code, 0, r.stderr);
    const throttled = arm.calls.filter((c) => c.status === 429);
    assert.equal(throttled.length, 2);
    for (const t of throttled) {
      const retry = arm.calls.find((c) => c.at > t.at && c.method === t.method && c.path === t.path);
      assert.ok(retry, `${t.method} ${t.path} was retried`);
      assert.ok(retry.at - t.at >= 900, `retried after ${retry.at - t.at} ms, before Retry-After: 1`);
    }
    assert.equal((JSON.parse(r.stdout) as JoinResult).nodes[0]!.status, 'Ready');
  });

  it('QuotaExceeded, SkuNotAvailable and AllocationFailed: those nodes Failed with what to do, the other Ready, exit 1', async () => {
    arm.faults.failNext = ['QuotaExceeded', 'SkuNotAvailable', 'AllocationFailed'];
    const r = await join_(['--pool', 'part', '--count', '4']);
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout) as JoinResult;
    const failed = result.nodes.filter((n) => n.status === 'Failed');
    assert.equal(failed.length, 3, JSON.stringify(result.nodes));
    assert.equal(result.nodes.filter((n) => n.status === 'Ready').length, 1);
    const quota = failed.find((n) => /QuotaExceeded/.test(n.error!))!;
    assert.match(quota.error!, /quota.*request more/is);
    const sku = failed.find((n) => /SkuNotAvailable/.test(n.error!))!;
    assert.match(sku.error!, /choose another size/);
    assert.match(sku.error!, /--instance-type/, 'the hint names a flag that exists');
    const alloc = failed.find((n) => /AllocationFailed/.test(n.error!))!;
    assert.match(alloc.error!, /no capacity.*retry later/is);
    // Refused at once: not even the NIC is left. Failed later: the VM exists, is kept and named.
    assert.deepEqual(named(quota.name), []);
    assert.deepEqual(named(sku.name), []);
    assert.equal(alloc.instanceId, `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${alloc.name}`);
    assert.match(r.stderr, new RegExp(`win-k8s remove ${alloc.name} --cloud azure --yes`));
    assert.deepEqual(bootstrapSecrets(), []);
    assert.deepEqual(arm.faults.failNext, []);
    // Re-run: the two refused nodes are created now; the failed VM still counts toward the pool
    // (no second VM bought behind the user's back) and is reported with how to replace it.
    const again = await join_(['--pool', 'part', '--count', '4']);
    assert.equal(again.code, 1, again.stderr);
    const second = JSON.parse(again.stdout) as JoinResult;
    assert.equal(second.nodes.length, 4);
    assert.equal(second.nodes.filter((n) => n.status === 'Ready').length, 3, JSON.stringify(second.nodes));
    const kept = second.nodes.find((n) => n.name === alloc.name)!;
    assert.equal(kept.status, 'Failed');
    assert.equal(kept.existing, true);
    assert.match(kept.error!, new RegExp(`the VM is failed and has no Node; delete it \\(win-k8s remove ${alloc.name} --cloud azure --yes\\)`));
  });

  it('a broken token fails on the failure line with the serial log and the extension\'s failure; --on-failure delete leaves nothing', async () => {
    // A 10-minute timeout: the run ends on the failure line, long before it.
    const r = await join_(['--pool', 'bad', '--count', '1', '--timeout', '10m']);
    assert.equal(r.code, 1, r.stderr);
    const [node] = (JSON.parse(r.stdout) as JoinResult).nodes;
    assert.equal(node!.status, 'Failed');
    assert.match(node!.error!, /^bootstrap failed; last bootstrap lines:[\s\S]*win-k8s: join failed kubeadm join: the bootstrap token was refused/);
    assert.match(node!.error!, /win-k8s: extension failed .*non-zero exit code/);
    assert.match(node!.error!, /win-k8s: extension failed Exception calling "Join"/);
    assert.match(r.stderr, /win-k8s remove bad-[a-z0-9]{5} --cloud azure --yes/);

    const del = await join_(['--pool', 'bad2', '--count', '1', '--timeout', '10m', '--on-failure', 'delete']);
    assert.equal(del.code, 1);
    const [gone] = (JSON.parse(del.stdout) as JoinResult).nodes;
    assert.match(gone!.error!, /VM deleted/);
    assert.deepEqual(named(gone!.name), [], 'VM, NIC and OS disk deleted');
    assert.equal(arm.get(`/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkSecurityGroups/win-k8s-kubernetes-bad2`), undefined, 'the empty pool\'s NSG deleted');
  });

  it('provision ends Provisioned with no token; --admin-password-file gets a line per VM, kept by a top-up run, mode 0600', async () => {
    const secretsBefore = fake.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/secrets')).length;
    const pwFile = join(dir, 'admin-password');
    const r = await cli(['provision', '--cloud', 'azure', '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json', '--pool', 'prov', '--count', '2', '--admin-password-file', pwFile]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as JoinResult;
    assert.deepEqual(result.nodes.map((n) => n.status), ['Provisioned', 'Provisioned']);
    for (const n of result.nodes) assert.equal(fake.store.get('nodes', undefined, n.name), undefined, 'not joined');
    assert.equal(fake.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/secrets')).length, secretsBefore);
    assert.equal(statSync(pwFile).mode & 0o777, 0o600);
    const lines = () => readFileSync(pwFile, 'utf8').split('\n').filter(Boolean);
    const first = lines();
    assert.deepEqual([...first].sort(), result.nodes.map((n) => `${n.name}\t${adminPasswordOf(arm, n.name)!}`).sort());
    assert.notEqual(adminPasswordOf(arm, result.nodes[0]!.name), adminPasswordOf(arm, result.nodes[1]!.name));
    assert.match(r.stderr, new RegExp(`password of 2 VMs appended to ${pwFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));

    // Topping the pool up with the same file: the earlier VMs' lines stay, the new VM's is added.
    const more = await cli(['provision', '--cloud', 'azure', '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json', '--pool', 'prov', '--count', '3', '--admin-password-file', pwFile]);
    assert.equal(more.code, 0, more.stderr);
    const added = (JSON.parse(more.stdout) as JoinResult).nodes.filter((n) => !n.existing);
    assert.equal(added.length, 1);
    assert.deepEqual(lines(), [...first, `${added[0]!.name}\t${adminPasswordOf(arm, added[0]!.name)!}`]);
    assert.equal(statSync(pwFile).mode & 0o777, 0o600);
    for (const line of lines()) passwords.add(line.split('\t')[1]!);
  });

  it('a restart that cut the extension off after the bootstrap planned it is progress: the node joins; a failure after it still fails the node', async () => {
    const r = await join_(['--pool', 'intr', '--count', '1', '--timeout', '5m']);
    assert.equal(r.code, 0, r.stderr);
    const [node] = (JSON.parse(r.stdout) as JoinResult).nodes;
    assert.equal(node!.status, 'Ready', JSON.stringify(node));
    assert.match(cseAfterRestart.get(node!.name) ?? '', /^interrupted Failed .*interrupted by a VM restart/);

    const bad = await join_(['--pool', 'bad3', '--count', '1', '--timeout', '5m']);
    assert.equal(bad.code, 1, bad.stderr);
    const [failed] = (JSON.parse(bad.stdout) as JoinResult).nodes;
    assert.equal(failed!.status, 'Failed');
    assert.match(failed!.error!, /win-k8s: join failed kubeadm join: the bootstrap token was refused/);
    assert.doesNotMatch(failed!.error!, /extension failed/);
  });

  it('--hyperv-isolation: a size without nested virtualization is refused before anything is created (exit 2, naming sizes that have it); the default size joins', async () => {
    const writes = () => arm.calls.filter((c) => c.method !== 'GET').length;
    const before = writes();
    for (const size of ['Standard_B2s', 'Standard_D4as_v4']) {
      const r = await join_(['--pool', 'hv', '--count', '1', '--hyperv-isolation', '--instance-type', size]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`--instance-type: --hyperv-isolation needs nested virtualization, and ${size}`));
      assert.match(r.stderr, /Standard_D\d+s_v5/);
      assert.equal(writes(), before, 'nothing created');
    }
    const ok = await join_(['--pool', 'hv', '--count', '1', '--hyperv-isolation']);
    assert.equal(ok.code, 0, ok.stderr);
    const [node] = (JSON.parse(ok.stdout) as JoinResult).nodes;
    assert.equal(node!.status, 'Ready', JSON.stringify(node));
    assert.equal(arm.get(node!.instanceId!)!.properties.hardwareProfile.vmSize, 'Standard_D4s_v5');
    const removed = await cli(['remove', '--pool', 'hv', '--cloud', 'azure', '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
  });

  it('provision sees `complete done` in the extension\'s stdout when COM1 stays empty (SAC)', async () => {
    const r = await cli(['provision', '--cloud', 'azure', '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json', '--pool', 'sac', '--count', '1', '--timeout', '60s']);
    assert.equal(r.code, 0, r.stderr);
    const [node] = (JSON.parse(r.stdout) as JoinResult).nodes;
    assert.equal(node!.status, 'Provisioned', JSON.stringify(node));
    assert.equal(arm.serialLogs.get(node!.name) ?? '', '', 'nothing came over COM1');
    const stdout = extensionOf(node!.name)!.properties.instanceView.substatuses.find((x: Json) => /StdOut/.test(x.code)).message as string;
    assert.match(stdout, new RegExp(`win-k8s: complete done ${node!.name}`));
  });

  it('a pool joined with --resource-group is listed and removed without it', async () => {
    const r = await join_(['--pool', 'org', '--count', '1', '--resource-group', 'other-rg']);
    assert.equal(r.code, 0, r.stderr);
    const [node] = (JSON.parse(r.stdout) as JoinResult).nodes;
    assert.equal(node!.status, 'Ready');
    assert.equal(node!.instanceId, `/subscriptions/${SUB}/resourceGroups/other-rg/providers/Microsoft.Compute/virtualMachines/${node!.name}`);
    const listed = await cli(['list', '-o', 'json', '--cloud', 'azure', '--pool', 'org']);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout).nodes as { name: string; vmState: string; nodeStatus: string; instanceId: string }[];
    assert.deepEqual(rows.map((x) => [x.name, x.instanceId, x.vmState, x.nodeStatus]), [[node!.name, node!.instanceId, 'running', 'Ready']]);
    const removed = await cli(['remove', '--pool', 'org', '--cloud', 'azure', '--yes', '-o', 'json']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout).removed.map((x: { name: string }) => x.name), [node!.name]);
    assert.deepEqual([...arm.resources.values()].filter((x) => String(x.id).includes('/resourceGroups/other-rg/')).map((x) => x.id), [], 'VM, NIC, disk and NSG gone from other-rg');
  });

  it('remove <name> and remove --pool leave no VM, NIC, disk or NSG behind', async () => {
    const [bad] = vms('bad');
    const badName = bad!.tags[TAG_NODE] as string;
    const byName = await cli(['remove', badName, '--cloud', 'azure', '--yes', '-o', 'json']);
    assert.equal(byName.code, 0, byName.stderr);
    assert.deepEqual(JSON.parse(byName.stdout).removed.map((x: { name: string }) => x.name), [badName]);
    assert.deepEqual(named(badName), []);
    assert.deepEqual(ofPool('Microsoft.Network/networkSecurityGroups', 'bad'), [], 'pool bad is empty: its NSG went too');
    const unknown = await cli(['remove', 'win-nope1', '--cloud', 'azure', '--yes']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /not managed by win-k8s in cluster kubernetes: win-nope1/);
    for (const pool of ['win', 'thr', 'part', 'prov', 'sac', 'intr', 'bad3']) {
      const r = await cli(['remove', '--pool', pool, '--cloud', 'azure', '--yes', '-o', 'json']);
      assert.equal(r.code, 0, `${pool}: ${r.stderr}`);
    }
    assert.deepEqual(leftovers(), []);
    assert.equal(fake.store.list('nodes').filter((n) => (n.metadata as { labels?: Record<string, string> }).labels?.['win-k8s.io/pool']).length, 0);
  });

  it('no bootstrap token secret, admin password or identity secret ever appeared in any output', () => {
    const tokens = [...agent.records.values()].map((r) => r.values?.token).filter((t): t is string => Boolean(t) && !t!.startsWith('zzzzzz'));
    assert.ok(tokens.length >= 5, `saw ${tokens.length} tokens`);
    assert.ok(passwords.size >= 5, `saw ${passwords.size} passwords`);
    const secrets = [...tokens.map((t) => t.split('.')[1]!), ...passwords, arm.identity.header];
    assert.ok(outputs.length >= 20);
    for (const text of outputs) for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret reached stdout or stderr');
  });
});
