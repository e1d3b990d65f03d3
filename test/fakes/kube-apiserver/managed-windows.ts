/*
 * Windows nodes of managed clusters as their clouds register them, for diagnose's flavour facts:
 * - AKS: the reserved kubernetes.azure.com/* labels (AKS "Reserved labels" reference: cluster =
 *   the node resource group MC_<rg>_<cluster>_<location>, agentpool, os-sku Windows2019/Windows2022,
 *   node-image-version, mode, role) and Azure CNI's (azure-cni-overlay, podnetwork-type,
 *   network-*); node names aks<pool>NNNNNN, VMSS providerIDs; no CNI or kube-proxy pod on the node.
 * - GKE: cloud.google.com/gke-nodepool, gke-container-runtime, machine-family; gce://<project>/
 *   <zone>/<instance> providerIDs with instances named gke-<cluster>-<pool>-<hash>-<id>; a pod
 *   range (spec.podCIDR) from the cluster's secondary range; kube-proxy and the CNI set up by the
 *   node's boot script, not pods. A GKE-like cluster to put them in: Linux pool, kube-dns.
 */
import { ADMIN_TOKEN } from './fixtures.js';
import type { FakeClusterFixture } from './fixtures.js';
import { makeDeployment, makeEndpointSlice, makeLease, makeNamespace, makeNode, makePod, makeService } from './builders.js';
import type { ObjectStore } from './store.js';

export interface AksWindowsNodeOptions {
  /** Instance index in the pool's scale set (node aks<pool>00000<i>). */
  index: number;
  pool?: string;
  /** Azure CNI Overlay (pod IPs from the node's podCIDR) instead of VNet IPs. */
  overlay?: boolean;
  osSku?: 'Windows2019' | 'Windows2022';
  /** Windows build label; default the OS SKU's. */
  build?: string;
  runtime?: string;
  kubelet?: string;
}

export function putAksWindowsNode(store: ObjectStore, o: AksWindowsNodeOptions): { name: string; ip: string } {
  const pool = o.pool ?? 'npwin';
  const sku = o.osSku ?? 'Windows2022';
  const build = o.build ?? (sku === 'Windows2019' ? '10.0.17763' : '10.0.20348');
  const name = `aks${pool}00000${o.index}`;
  const ip = `10.224.0.${40 + o.index}`;
  const ver = sku === 'Windows2019' ? '2019-containerd-17763.6893.250210' : '2022-containerd-20348.3207.250210';
  store.put(
    makeNode({
      name,
      os: 'windows',
      internalIP: ip,
      windowsBuild: build,
      kubeletVersion: o.kubelet ?? 'v1.32.6',
      containerRuntimeVersion: o.runtime ?? 'containerd://1.7.20+azure',
      osImage: sku === 'Windows2019' ? 'Windows Server 2019 Datacenter' : 'Windows Server 2022 Datacenter',
      kernelVersion: `${build}.${sku === 'Windows2019' ? '6893' : '3207'}`,
      ...(o.overlay ? { podCIDR: `10.244.${10 + o.index}.0/24` } : {}),
      providerID: `azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_rg_cluster_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks${pool}/virtualMachines/${o.index}`,
      labels: {
        agentpool: pool,
        'kubernetes.azure.com/agentpool': pool,
        'kubernetes.azure.com/cluster': 'MC_rg_cluster_eastus',
        'kubernetes.azure.com/consolidated-additional-properties': '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
        'kubernetes.azure.com/mode': 'user',
        'kubernetes.azure.com/node-image-version': `AKSWindows-${ver}`,
        'kubernetes.azure.com/nodepool-type': 'VirtualMachineScaleSets',
        'kubernetes.azure.com/os-sku': sku,
        'kubernetes.azure.com/role': 'agent',
        ...(o.overlay
          ? {
              'kubernetes.azure.com/azure-cni-overlay': 'true',
              'kubernetes.azure.com/podnetwork-type': 'overlay',
              'kubernetes.azure.com/network-name': 'aks-vnet-12345678',
              'kubernetes.azure.com/network-resourcegroup': 'MC_rg_cluster_eastus',
              'kubernetes.azure.com/network-subnet': 'aks-subnet',
              'kubernetes.azure.com/network-subscription': '00000000-0000-0000-0000-000000000000',
            }
          : { 'kubernetes.azure.com/network-subnet': 'aks-subnet' }),
        'node.kubernetes.io/instance-type': 'Standard_D4s_v3',
        'topology.kubernetes.io/region': 'eastus',
        'topology.kubernetes.io/zone': '0',
      },
      capacity: { pods: '30' },
    }),
  );
  store.put(makeLease(name));
  return { name, ip };
}

export interface GkeWindowsNodeOptions {
  index: number;
  pool?: string;
  build?: string;
  runtime?: string;
  kubelet?: string;
  /** false: registered without a pod range. */
  podCIDR?: boolean;
}

export const GKE_PROJECT = 'demo-project';
export const GKE_CLUSTER = 'demo';

export function putGkeWindowsNode(store: ObjectStore, o: GkeWindowsNodeOptions): { name: string; ip: string } {
  const pool = o.pool ?? 'windows-pool';
  const name = `gke-${GKE_CLUSTER}-${pool}-7f3a9c21-${['x7k2', 'b9qd', 'm4ts'][o.index] ?? 'z0z0'}`;
  const ip = `10.128.0.${50 + o.index}`;
  const runtime = o.runtime ?? 'containerd://1.7.24';
  store.put(
    makeNode({
      name,
      os: 'windows',
      internalIP: ip,
      windowsBuild: o.build ?? '10.0.20348',
      kubeletVersion: o.kubelet ?? 'v1.32.4-gke.1106006',
      containerRuntimeVersion: runtime,
      ...(o.podCIDR === false ? {} : { podCIDR: `10.72.${4 + o.index}.0/24` }),
      providerID: `gce://${GKE_PROJECT}/us-central1-a/${name}`,
      labels: {
        'cloud.google.com/gke-boot-disk': 'pd-balanced',
        'cloud.google.com/gke-container-runtime': runtime.split(':')[0]!,
        'cloud.google.com/gke-nodepool': pool,
        'cloud.google.com/gke-provisioning': 'standard',
        'cloud.google.com/gke-stack-type': 'IPV4',
        'cloud.google.com/machine-family': 'n2',
        'cloud.google.com/private-node': 'false',
        'node.kubernetes.io/instance-type': 'n2-standard-4',
        'topology.gke.io/zone': 'us-central1-a',
        'topology.kubernetes.io/region': 'us-central1',
        'topology.kubernetes.io/zone': 'us-central1-a',
      },
      taints: [{ key: 'node.kubernetes.io/os', value: 'windows', effect: 'NoSchedule' }],
    }),
  );
  store.put(makeLease(name));
  return { name, ip };
}

/** A GKE Standard cluster (v1.32.x-gke), one Linux pool, kube-dns; Windows pools come from putGkeWindowsNode. */
export function gkeLike(o: { extraSeed?: (store: ObjectStore) => void } = {}): FakeClusterFixture {
  const version = 'v1.32.4-gke.1106006';
  return {
    name: 'gkeLike',
    gitVersion: version,
    tokens: { [ADMIN_TOKEN]: { user: 'admin@example.com', groups: ['system:masters'] } },
    serviceCidr: '34.118.224.0/20',
    seed: (ctx) => {
      const { store } = ctx;
      for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) store.put(makeNamespace(ns));
      const linux = `gke-${GKE_CLUSTER}-default-pool-0b1c2d3e-q8w1`;
      store.put(
        makeNode({
          name: linux,
          internalIP: '10.128.0.10',
          podCIDR: '10.72.0.0/24',
          kubeletVersion: version,
          osImage: 'Container-Optimized OS from Google',
          kernelVersion: '6.6.72+',
          containerRuntimeVersion: 'containerd://1.7.24',
          providerID: `gce://${GKE_PROJECT}/us-central1-a/${linux}`,
          labels: {
            'cloud.google.com/gke-container-runtime': 'containerd',
            'cloud.google.com/gke-nodepool': 'default-pool',
            'cloud.google.com/gke-os-distribution': 'cos',
            'cloud.google.com/machine-family': 'e2',
            'node.kubernetes.io/instance-type': 'e2-standard-4',
            'topology.kubernetes.io/zone': 'us-central1-a',
          },
        }),
      );
      store.put(makeLease(linux));
      // GKE runs kube-proxy on Linux nodes as a static pod, named after the node.
      store.put(makePod({ namespace: 'kube-system', name: `kube-proxy-${linux}`, nodeName: linux, hostIP: '10.128.0.10', template: { labels: { component: 'kube-proxy', tier: 'node' }, containers: [{ name: 'kube-proxy', image: `gke.gcr.io/kube-proxy-amd64:${version.replace('+', '_')}` }], hostNetwork: true } }));
      const dnsLabels = { 'k8s-app': 'kube-dns' };
      store.put(makeDeployment({ namespace: 'kube-system', name: 'kube-dns', labels: { ...dnsLabels, 'addonmanager.kubernetes.io/mode': 'Reconcile' }, replicas: 1, template: { labels: dnsLabels, containers: [{ name: 'kubedns', image: 'gke.gcr.io/k8s-dns-kube-dns:1.23.0-gke.9' }], nodeSelector: { 'kubernetes.io/os': 'linux' } } }));
      store.put(makePod({ namespace: 'kube-system', name: 'kube-dns-5f8b7c9d4-abcde', nodeName: linux, hostIP: '10.128.0.10', podIP: '10.72.0.5', template: { labels: dnsLabels, containers: [{ name: 'kubedns', image: 'gke.gcr.io/k8s-dns-kube-dns:1.23.0-gke.9' }] } }));
      store.put(makeService({ namespace: 'default', name: 'kubernetes', clusterIP: '34.118.224.1', labels: { component: 'apiserver', provider: 'kubernetes' }, ports: [{ name: 'https', port: 443 }] }));
      store.put(makeService({ namespace: 'kube-system', name: 'kube-dns', clusterIP: '34.118.224.10', labels: { ...dnsLabels, 'kubernetes.io/name': 'KubeDNS' }, selector: dnsLabels, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }));
      store.put(makeEndpointSlice({ namespace: 'kube-system', service: 'kube-dns', addresses: [{ ip: '10.72.0.5', nodeName: linux, targetRef: { kind: 'Pod', name: 'kube-dns-5f8b7c9d4-abcde', namespace: 'kube-system' } }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }));
      o.extraSeed?.(store);
    },
  };
}

/** aksLike's CoreDNS with a running pod and the kube-dns endpoints the endpointslice controller would write. */
export function putAksDnsEndpoints(store: ObjectStore): void {
  const linux = { name: 'aks-nodepool1-12345678-vmss000000', ip: '10.224.0.4' };
  const labels = { 'k8s-app': 'kube-dns', 'kubernetes.azure.com/managedby': 'aks' };
  store.put(makePod({ namespace: 'kube-system', name: 'coredns-6d8b7c9f5-q2w3e', nodeName: linux.name, hostIP: linux.ip, podIP: '10.224.0.22', template: { labels, containers: [{ name: 'coredns', image: 'mcr.microsoft.com/oss/v2/kubernetes/coredns:v1.11.3-8' }] } }));
  store.put(makeEndpointSlice({ namespace: 'kube-system', service: 'kube-dns', addresses: [{ ip: '10.224.0.22', nodeName: linux.name, targetRef: { kind: 'Pod', name: 'coredns-6d8b7c9f5-q2w3e', namespace: 'kube-system' } }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }));
}
