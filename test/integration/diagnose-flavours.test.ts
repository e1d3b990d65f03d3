import assert from 'node:assert/strict';
import { aksLike, makePod, type FakeClusterFixture } from '../fakes/kube-apiserver/index.js';
import { gkeLike, putAksDnsEndpoints, putAksWindowsNode, putGkeWindowsNode } from '../fakes/kube-apiserver/managed-windows.js';
import { diag, withFake } from '../helpers/diagnose.js';

/*
 * diagnose on managed Windows nodes win-k8s did not make: AKS (Azure CNI, VNet and Overlay) and
 * GKE (Windows Server pools, VPC-native). Healthy nodes are green; broken ones fail naming the
 * flavour's fact, and what only the cloud can show is a skip naming the command, not a failure.
 */

const workload = (namespace: string, name: string, node: { name: string; ip: string }, podIP: string, phase: 'Running' | 'Pending' = 'Running') =>
  makePod({ namespace, name, nodeName: node.name, hostIP: node.ip, ...(phase === 'Running' ? { podIP } : {}), phase, template: { labels: { app: name }, containers: [{ name: 'web', image: 'mcr.microsoft.com/windows/servercore/iis:ltsc2022' }] } });

const sandboxEvent = (namespace: string, pod: string, host: string, message: string) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: `${pod}.sb`, namespace },
  involvedObject: { kind: 'Pod', name: pod, namespace },
  reason: 'FailedCreatePodSandBox',
  type: 'Warning',
  message,
  source: { component: 'kubelet', host },
  lastTimestamp: new Date().toISOString(),
});

/** Every check on the Windows node: none fails or warns. */
function assertGreen(r: Awaited<ReturnType<typeof diag>>, node: string) {
  const bad = r.doc.checks.filter((c) => (c.node === node || c.node === undefined) && (c.status === 'fail' || c.status === 'warn'));
  assert.deepEqual(bad.map((c) => `${c.id}: ${c.status} ${c.message}`), []);
}

async function onFake(fixture: FakeClusterFixture, seed: (put: (o: Record<string, unknown>) => void, fake: Parameters<Parameters<typeof withFake>[1]>[0]) => void, check: (r: Awaited<ReturnType<typeof diag>>) => void) {
  await withFake(fixture, async (fake, kc) => {
    if (fixture.name === 'aksLike') putAksDnsEndpoints(fake.store);
    seed((o) => fake.store.put(o as never), fake);
    check(await diag(kc));
  });
}

describe('diagnose on managed Windows nodes: AKS and GKE flavour facts', function () {
  this.timeout(120_000);

  it('AKS, Azure CNI (VNet): green; kube-proxy is the Windows service kubeproxy, named with the run-command that shows it', async () => {
    await onFake(aksLike(), (put, fake) => {
      const n = putAksWindowsNode(fake.store, { index: 0 });
      put(workload('default', 'web-aks-0', n, '10.224.0.61'));
    }, (r) => {
      assertGreen(r, 'aksnpwin000000');
      const cni = r.check('net.cni', 'aksnpwin000000');
      assert.equal(cni.status, 'pass');
      assert.match(cni.message, /^Azure CNI \(pods get VNet IPs from subnet aks-subnet\): 1 pod\(s\) on the node have an IP; Azure CNI runs as a plugin on AKS Windows nodes, no CNI pod expected$/);
      const proxy = r.check('net.kube-proxy', 'aksnpwin000000');
      assert.equal(proxy.status, 'skip');
      assert.match(proxy.message, /Windows service kubeproxy.*not visible from the API; on AKS run az vmss run-command invoke -g MC_rg_cluster_eastus -n aksnpwin --instance-id 0 --command-id RunPowerShellScript --scripts "Get-Service kubeproxy"/);
      assert.match(r.check('node.windows-build', 'aksnpwin000000').message, /AKS pool npwin, OS SKU Windows2022, node image AKSWindows-2022-containerd/);
      assert.match(r.check('node.runtime', 'aksnpwin000000').message, /^containerd:\/\/1\.7\.20\+azure; AKS pool npwin \(Windows2022\)$/);
      assert.equal(r.code, 0);
    });
  });

  it('AKS, Azure CNI Overlay: green with the node range; a pod without a network fails naming Azure CNI and the networkProfile command', async () => {
    await onFake(aksLike(), (put, fake) => {
      const n = putAksWindowsNode(fake.store, { index: 1, overlay: true });
      put(workload('default', 'web-aks-1', n, '10.244.11.7'));
    }, (r) => {
      assertGreen(r, 'aksnpwin000001');
      assert.match(r.check('net.cni', 'aksnpwin000001').message, /^Azure CNI Overlay \(pod IPs from the node's range 10\.244\.11\.0\/24\)/);
    });
    await onFake(aksLike(), (put, fake) => {
      const n = putAksWindowsNode(fake.store, { index: 0 });
      put(workload('default', 'web-aks-stuck', n, '', 'Pending'));
      put(sandboxEvent('default', 'web-aks-stuck', n.name, 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "3f1c": plugin type="azure-vnet" failed (add): IPAM Invoker Add failed with error: Failed to get IP address from CNS: No available IPs'));
    }, (r) => {
      const cni = r.check('net.cni', 'aksnpwin000000');
      assert.equal(cni.status, 'fail');
      assert.match(cni.message, /^Azure CNI \(pods get VNet IPs from subnet aks-subnet\): 1 pod\(s\) cannot get a network: default\/web-aks-stuck: .*azure-vnet/);
      assert.match(cni.hint ?? '', /maxPods VNet IPs per node.*az aks show -g rg -n cluster --query networkProfile/);
    });
  });

  it("AKS: a node whose build is not its pool's OS SKU fails naming both; Docker on an AKS Windows pool warns, naming the containerd pool to add", async () => {
    await onFake(aksLike(), (_put, fake) => {
      putAksWindowsNode(fake.store, { index: 0, osSku: 'Windows2022', build: '10.0.17763' });
      putAksWindowsNode(fake.store, { index: 1, osSku: 'Windows2019', runtime: 'docker://20.10.9', kubelet: 'v1.22.11' });
    }, (r) => {
      const build = r.check('node.windows-build', 'aksnpwin000000');
      assert.equal(build.status, 'fail');
      assert.match(build.message, /^AKS pool npwin has OS SKU Windows2022 \(build 20348\), but the node runs build 17763/);
      const runtime = r.check('node.runtime', 'aksnpwin000001');
      assert.equal(runtime.status, 'warn');
      assert.match(runtime.message, /AKS Windows pools run containerd/);
      assert.match(runtime.hint ?? '', /az aks nodepool add -g rg --cluster-name cluster --os-type Windows --os-sku Windows2022/);
    });
  });

  it('GKE Windows pool: green; the pool image type and version are named with the gcloud command, kube-proxy and CNI are not pods', async () => {
    await onFake(gkeLike(), (put, fake) => {
      const n = putGkeWindowsNode(fake.store, { index: 0 });
      put(workload('default', 'web-gke-0', n, '10.72.4.12'));
    }, (r) => {
      const node = 'gke-demo-windows-pool-7f3a9c21-x7k2';
      assertGreen(r, node);
      assert.match(r.check('net.cni', node).message, /^GKE VPC-native: pod range 10\.72\.4\.0\/24 \(alias IPs\), 1 pod\(s\) with an IP/);
      const build = r.check('node.windows-build', node);
      assert.match(build.message, /GKE pool windows-pool: its image type \(WINDOWS_LTSC_CONTAINERD on containerd\) and Windows version \(OS_VERSION_LTSC2022 for this build\) are not visible from the API; on GKE run gcloud container node-pools describe windows-pool --cluster demo /);
      assert.match(r.check('node.runtime', node).message, /GKE pool windows-pool \(a containerd image type, WINDOWS_LTSC_CONTAINERD; cloud\.google\.com\/gke-container-runtime=containerd\)/);
      const proxy = r.check('net.kube-proxy', node);
      assert.equal(proxy.status, 'skip');
      assert.match(proxy.message, /not visible from the API; on GKE its setup log is in gcloud compute instances get-serial-port-output gke-demo-windows-pool-7f3a9c21-x7k2 --zone us-central1-a --project demo-project/);
      assert.equal(r.code, 0);
    });
  });

  it('GKE: a node without its pod range fails, a Docker-based image type warns, each naming the GKE fact', async () => {
    await onFake(gkeLike(), (_put, fake) => {
      putGkeWindowsNode(fake.store, { index: 0, podCIDR: false });
      putGkeWindowsNode(fake.store, { index: 1, runtime: 'docker://19.3.14', kubelet: 'v1.23.17-gke.1700' });
    }, (r) => {
      const cni = r.check('net.cni', 'gke-demo-windows-pool-7f3a9c21-x7k2');
      assert.equal(cni.status, 'fail');
      assert.match(cni.message, /no spec\.podCIDR: GKE's VPC-native Windows nodes take their pod range/);
      assert.match(cni.hint ?? '', /get-serial-port-output/);
      const runtime = r.check('node.runtime', 'gke-demo-windows-pool-7f3a9c21-b9qd');
      assert.equal(runtime.status, 'warn');
      assert.match(runtime.message, /GKE's Docker-based Windows image types \(WINDOWS_LTSC, WINDOWS_SAC\) end with 1\.24/);
      assert.match(runtime.hint ?? '', /--image-type=WINDOWS_LTSC_CONTAINERD/);
    });
  });
});
