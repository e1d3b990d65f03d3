import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  ADMIN_TOKEN,
  FakeKubeApiServer,
  SimulatedKubelet,
  healthyKubeadmFlannel,
  kubeletConfigForFlags,
  placeControlPlane,
  writeKubeconfigFor,
  type KubeObject,
} from '../fakes/kube-apiserver/index.js';
import { motoCliEnv, motoEc2, seedCluster, startAwsProxy, startMoto, type AwsProxy, type MotoServer } from '../fakes/moto/index.js';
import { SimulatedNodeAgent } from '../fakes/node-agent/agent.js';
import { scriptFromUserData } from '../fakes/node-agent/script.js';
import type { DiagnoseDocument } from '../../src/diagnose/types.js';
import type { JoinResult } from '../../src/pool/result.js';

/**
 * `win-k8s join` then `win-k8s diagnose` on the same fake cluster: a node win-k8s made is
 * healthy, so diagnose must find nothing wrong with it. The node runs what its own bootstrap
 * script says: kube-proxy as a Windows service and flanneld as a process (flannel), the
 * kubelet with the flags the script carries (so /configz is the configuration win-k8s gave it),
 * and the on-node script reports those services.
 */

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

/** The kubelet's flags as the bootstrap script lists them ($KubeletFlags = @( ... )). */
function kubeletFlags(script: string): string[] {
  const m = /^\s*\$?KubeletFlags\s+= @\(([\s\S]*?)\n\s*\)/m.exec(script);
  assert.ok(m, 'the bootstrap script carries the kubelet flags');
  return [...m[1]!.matchAll(/'((?:[^']|'')*)'/g)].map((x) => x[1]!.replace(/''/g, "'"));
}

/** The recorded healthy on-node report, as the script prints it on this node. */
function nodeReportFor(node: string, podCidr: string, managementIp: string): string {
  const doc = JSON.parse(readFileSync(new URL('../fixtures/node-checks/healthy-containerd-flannel.json', import.meta.url), 'utf8')) as Record<string, any>;
  const prefix = podCidr.replace(/\.0\/24$/, '.');
  doc['hostname'] = node;
  doc['parameters'].podCidr = podCidr;
  for (const net of doc['hns'].networks) {
    if (net.name !== 'flannel.4096') continue;
    net.managementIp = managementIp;
    net.subnets = { addressPrefix: podCidr, gatewayAddress: `${prefix}1` };
  }
  // A node just joined runs no pod of its own yet: only the other nodes' (remote) endpoints.
  doc['hns'].endpoints = doc['hns'].endpoints.filter((e: { isRemote: boolean }) => e.isRemote);
  // The diagnose pod's own sandbox pulled the configured pause image, so the runtime lists it.
  const sandbox = doc['containerd']?.sandboxImage as string | undefined;
  const images = doc['runtime']?.images as Array<{ tags?: string[]; pinned?: boolean }> | undefined;
  if (sandbox && Array.isArray(images) && !images.some((i) => i.tags?.includes(sandbox))) {
    const pause = images.find((i) => i.tags?.some((t) => /\/pause:/.test(t)));
    if (pause) pause.tags = [sandbox];
  }
  return `WIN-K8S-NODE-REPORT-BEGIN\r\n${JSON.stringify(doc)}\r\nWIN-K8S-NODE-REPORT-END\r\n`;
}

describe('win-k8s join, then win-k8s diagnose on the same cluster: all green', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let proxy: AwsProxy;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;
  let ec2: EC2Client;
  let agent: SimulatedNodeAgent;
  let kubelet: SimulatedKubelet;
  /** Per node name: the kubelet flags its bootstrap script gave it. */
  const flags = new Map<string, string[]>();
  let nextCidr = 50;

  // kube-controller-manager's node IPAM (--allocate-node-cidrs, as kubeadm's flannel setup runs it).
  const allocateCidrs = (ev: { type: string; object: KubeObject; resource: { resource: string } }) => {
    if (ev.resource.resource !== 'nodes' || ev.type !== 'ADDED') return;
    const node = ev.object as KubeObject & { spec?: { podCIDR?: string; podCIDRs?: string[] } };
    if (node.spec?.podCIDR) return;
    const cidr = `10.244.${nextCidr++}.0/24`;
    setImmediate(() => {
      const current = fake.store.get('nodes', undefined, node.metadata!.name!) as typeof node | undefined;
      if (!current) return;
      current.spec = { ...current.spec, podCIDR: cidr, podCIDRs: [cidr] };
      fake.store.put(current);
    });
  };

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', kubeconfig], { env: motoCliEnv(proxy.url), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function instances() {
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:win-k8s.io/cluster', Values: ['kubernetes'] }] }));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name === 'running');
  }

  before(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url);
    const seeded = await seedCluster(moto.url, { cluster: 'kubernetes' });
    ec2 = motoEc2(moto.url);
    fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    placeControlPlane(fake, seeded.providerId);
    fake.store.on('change', allocateCidrs);
    kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    kubelet = new SimulatedKubelet(fake, {
      configz: (node) => kubeletConfigForFlags(flags.get(node) ?? []),
      run: (pod, node) => {
        if (pod.metadata?.labels?.['win-k8s.io/node-checks'] !== 'true') return undefined;
        const n = fake.store.get('nodes', undefined, node) as { spec?: { podCIDR?: string } } | undefined;
        return { containers: { 'node-checks': { exitCode: 0, log: nodeReportFor(node, n?.spec?.podCIDR ?? '', '10.20.1.10') } } };
      },
    }).start();
    agent = new SimulatedNodeAgent({
      fake,
      pollMs: 50,
      source: {
        list: async () => (await instances()).map((i) => ({ id: i.InstanceId! })),
        script: async (id) => {
          const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }));
          const script = scriptFromUserData(Buffer.from(attr.UserData?.Value ?? '', 'base64').toString('utf8'));
          const name = /^\s*NodeName\s+= '([^']*)'/m.exec(script)?.[1];
          if (name) flags.set(name, kubeletFlags(script));
          return script;
        },
      },
    });
    agent.start();
  });

  after(async () => {
    await agent?.stop();
    kubelet?.stop();
    fake?.store.off('change', allocateCidrs);
    ec2?.destroy();
    await fake?.stop();
    await proxy?.stop();
    await moto?.stop();
  });

  let nodeName = '';

  it('join --count 1 makes a Ready node of pool win', async () => {
    const r = await cli(['join', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--yes', '-o', 'json', '--pool', 'win', '--count', '1']);
    assert.equal(r.code, 0, r.stderr);
    const [node] = (JSON.parse(r.stdout) as JoinResult).nodes;
    assert.equal(node?.status, 'Ready', JSON.stringify(node));
    nodeName = node!.name;
    assert.ok(flags.get(nodeName)?.includes('--cgroups-per-qos=false'), 'the kubelet runs with the flags of its bootstrap');
  });

  it('diagnose with the node checks: no failure and no warning; kube-proxy and flanneld are seen on the host', async () => {
    const r = await cli(['diagnose', '--pool', 'win', '--skip-probes', '--probe-timeout', '5s', '-o', 'json']);
    const doc = JSON.parse(r.stdout) as DiagnoseDocument;
    const bad = doc.checks.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => `${c.status} ${c.id}: ${c.message}`);
    assert.deepEqual(bad, [], r.stderr);
    // Nothing of the node, its kubelet or its report is skipped but node.kubelet.reserved (the
    // simulated kubelet reports no memory capacity); the probes are off (--skip-probes).
    const skipped = doc.checks.filter((c) => c.status === 'skip' && /^(node\.|net\.kube-proxy$|net\.cni$|net\.pod-cidr$)/.test(c.id)).map((c) => `${c.id}: ${c.message}`);
    assert.deepEqual(skipped, ["node.kubelet.reserved: systemReserved memory unset, kubeReserved memory unset; the Node reports no memory capacity, so the VM's size is unknown"]);
    assert.equal(r.code, 0, r.stderr);
    const check = (id: string) => doc.checks.find((c) => c.id === id && c.node === nodeName)!;
    assert.match(check('net.kube-proxy').message, /^kube-proxy runs on the host, not in a pod: Windows service kube-proxy Running \(on-node report\); win-k8s pool win runs it this way$/);
    assert.match(check('net.cni').message, /^flanneld runs on the host, not in a pod: flanneld\.exe running/);
    for (const id of ['node.ready', 'node.kubelet-reachable', 'net.pod-cidr', 'node.host.report', 'node.host.services', 'node.host.hns-network', 'node.kubelet.cgroups', 'node.kubelet.eviction', 'node.kubelet.runtime-endpoint', 'node.kubelet.disk', 'node.kubelet.memory']) {
      assert.equal(check(id)?.status, 'pass', `${id}: ${check(id)?.message}`);
    }
    // The configuration diagnose judged is the one the bootstrap's flags give the kubelet.
    assert.match(check('node.kubelet.cgroups').message, /cgroupsPerQOS false, enforceNodeAllocatable \[\]/);
    assert.ok(doc.summary.pass > 20, JSON.stringify(doc.summary));
  });

  it('diagnose from the API alone: what only the node can tell is skipped as such, nothing fails', async () => {
    const r = await cli(['diagnose', '--pool', 'win', '--skip-probes', '--skip-node-checks', '-o', 'json']);
    const doc = JSON.parse(r.stdout) as DiagnoseDocument;
    assert.deepEqual(doc.checks.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => `${c.id}: ${c.message}`), []);
    assert.equal(r.code, 0, r.stderr);
    for (const id of ['net.kube-proxy', 'net.cni']) {
      const c = doc.checks.find((x) => x.id === id && x.node === nodeName)!;
      assert.equal(c.status, 'skip', c.message);
      assert.match(c.message, /win-k8s pool win with flannel runs .* on the host .*not visible from the API; run with the node checks/);
    }
  });
});
