import type { ClusterFacts } from '../../src/cluster/discovery.js';

/**
 * A kubeadm cluster with flannel as discovery reads it, for the unit tests that build a plan
 * without a cluster; `overrides` replaces whole fields.
 */
export function kubeadmFlannelFacts(overrides: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    name: 'demo',
    version: '1.33.2',
    endpoint: 'https://10.0.0.10:6443',
    endpointSource: 'cluster-info',
    caCertHash: `sha256:${'a'.repeat(64)}`,
    flavor: 'kubeadm',
    cni: { type: 'flannel', flannel: { vni: 4096, port: 4789 } },
    serviceCidr: '10.96.0.0/12',
    podCidr: '10.244.0.0/16',
    dnsIp: '10.96.0.10',
    nodes: [],
    notes: [],
    ...overrides,
  } as ClusterFacts;
}
