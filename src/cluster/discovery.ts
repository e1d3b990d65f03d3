import { parse as parseYaml } from 'yaml';
import type * as k8s from '@kubernetes/client-node';
import { apiError, isNotFound, statusCode, type Cluster } from './client.js';
import { caCertHash, firstCertificate } from './ca-hash.js';
import { parseProviderId, type Placement } from './provider-id.js';
import { readFileSync } from 'node:fs';

/** Everything win-k8s learns about a cluster before it changes anything. */
export type Flavor = 'kubeadm' | 'eks' | 'aks' | 'gke' | 'k3s' | 'rke2' | 'unknown';
export type CniType = 'flannel' | 'calico' | 'aws-vpc-cni' | 'unknown';

export interface FlannelFacts {
  namespace: string;
  backendType?: string;
  /** Backend.Name: the Windows HNS network's name when set (flannel defaults it from the VNI). */
  backendName?: string;
  vni?: number;
  port?: number;
  network?: string;
}

export interface CalicoFacts {
  installation: boolean;
  windowsDataplane?: string;
  serviceCIDRs?: string[];
  encapsulations: string[];
}

export interface NodeSummary {
  name: string;
  os: string;
  windowsBuild?: string;
  ready: boolean;
  controlPlane: boolean;
  kubeletVersion?: string;
  providerId?: string;
  internalIp?: string;
}

export interface ClusterFacts {
  name: string;
  version: string;
  gitVersion: string;
  endpoint: string;
  endpointSource: 'cluster-info' | 'kubeadm-config' | 'kubeconfig';
  caPem?: string;
  caCertHash?: string;
  serviceCidr?: string;
  podCidr?: string;
  cidrSource?: string;
  dnsIp?: string;
  /** The cluster's DNS domain (kubeadm's networking.dnsDomain), when the cluster says. */
  clusterDomain?: string;
  cni: { type: CniType; flannel?: FlannelFacts; calico?: CalicoFacts };
  flavor: Flavor;
  placement?: Placement;
  nodes: NodeSummary[];
  /** What could not be read, and why: shown, never fatal on its own. */
  notes: string[];
}

/** "https://10.0.0.1:6443" -> "10.0.0.1:6443" (kubeadm join's form). */
export function endpointOf(server: string): string {
  const url = new URL(server);
  return `${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${url.port || '443'}`;
}

async function optional<T>(fn: () => Promise<T>, notes: string[], what: string): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    const code = statusCode(err);
    if (code === 403) {
      notes.push(`${what}: forbidden for this user`);
      return undefined;
    }
    throw err;
  }
}

function clusterConfiguration(cm: k8s.V1ConfigMap | undefined): Record<string, unknown> | undefined {
  const text = cm?.data?.ClusterConfiguration;
  if (!text) return undefined;
  try {
    return parseYaml(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function flagValue(pod: k8s.V1Pod | undefined, flag: string): string | undefined {
  for (const c of pod?.spec?.containers ?? []) {
    for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
      if (arg.startsWith(`--${flag}=`)) return arg.slice(flag.length + 3);
    }
  }
  return undefined;
}

function summariseNode(n: k8s.V1Node): NodeSummary {
  const labels = n.metadata?.labels ?? {};
  const ready = (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const internalIp = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  return {
    name: n.metadata?.name ?? '',
    os: labels['kubernetes.io/os'] ?? labels['beta.kubernetes.io/os'] ?? n.status?.nodeInfo?.operatingSystem ?? 'unknown',
    ...(labels['node.kubernetes.io/windows-build'] ? { windowsBuild: labels['node.kubernetes.io/windows-build'] } : {}),
    ready,
    controlPlane: 'node-role.kubernetes.io/control-plane' in labels || 'node-role.kubernetes.io/master' in labels,
    ...(n.status?.nodeInfo?.kubeletVersion ? { kubeletVersion: n.status.nodeInfo.kubeletVersion } : {}),
    ...(n.spec?.providerID ? { providerId: n.spec.providerID } : {}),
    ...(internalIp ? { internalIp } : {}),
  };
}

function detectFlavor(gitVersion: string, server: string, nodes: k8s.V1Node[], hasKubeadmConfig: boolean, hasAwsNode: boolean): Flavor {
  const host = new URL(server).hostname;
  const labelled = (key: string) => nodes.some((n) => key in (n.metadata?.labels ?? {}));
  if (/\.eks\.amazonaws\.com$/.test(host) || /-eks-/.test(gitVersion) || labelled('eks.amazonaws.com/nodegroup')) return 'eks';
  if (/\.azmk8s\.io$/.test(host) || labelled('kubernetes.azure.com/cluster')) return 'aks';
  if (/-gke\./.test(gitVersion) || labelled('cloud.google.com/gke-nodepool')) return 'gke';
  if (/\+k3s/.test(gitVersion)) return 'k3s';
  if (/\+rke2/.test(gitVersion)) return 'rke2';
  if (hasKubeadmConfig) return 'kubeadm';
  if (hasAwsNode) return 'eks';
  return 'unknown';
}

/** Reads the cluster; changes nothing. Unreachable or unauthenticated is an EnvironmentError. */
export async function discover(cluster: Cluster): Promise<ClusterFacts> {
  const server = cluster.resolved.server;
  const notes: string[] = [];
  let info: k8s.VersionInfo;
  try {
    info = await cluster.version.getCode();
  } catch (err) {
    throw apiError(err, 'read the server version', server);
  }
  try {
    const [clusterInfo, kubeadmConfig, kubeProxyCm, kubeDns, nodeList, awsNode] = await Promise.all([
      optional(() => cluster.core.readNamespacedConfigMap({ name: 'cluster-info', namespace: 'kube-public' }), notes, 'kube-public/cluster-info'),
      optional(() => cluster.core.readNamespacedConfigMap({ name: 'kubeadm-config', namespace: 'kube-system' }), notes, 'kube-system/kubeadm-config'),
      optional(() => cluster.core.readNamespacedConfigMap({ name: 'kube-proxy', namespace: 'kube-system' }), notes, 'kube-system/kube-proxy'),
      optional(() => cluster.core.readNamespacedService({ name: 'kube-dns', namespace: 'kube-system' }), notes, 'kube-system/kube-dns'),
      optional(() => cluster.core.listNode({}), notes, 'nodes'),
      optional(() => cluster.apps.readNamespacedDaemonSet({ name: 'aws-node', namespace: 'kube-system' }), notes, 'kube-system/aws-node'),
    ]);
    const nodes = nodeList?.items ?? [];
    const cc = clusterConfiguration(kubeadmConfig);

    // Endpoint and CA: cluster-info is what kubeadm join itself reads, so it wins.
    let endpoint = endpointOf(server);
    let endpointSource: ClusterFacts['endpointSource'] = 'kubeconfig';
    let caPem: string | undefined;
    const infoKubeconfig = clusterInfo?.data?.kubeconfig;
    if (infoKubeconfig) {
      const doc = parseYaml(infoKubeconfig) as { clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[] };
      const c = doc.clusters?.[0]?.cluster;
      if (c?.server) {
        endpoint = endpointOf(c.server);
        endpointSource = 'cluster-info';
      }
      if (c?.['certificate-authority-data']) caPem = Buffer.from(c['certificate-authority-data'], 'base64').toString('utf8');
    }
    if (endpointSource === 'kubeconfig' && typeof cc?.controlPlaneEndpoint === 'string' && cc.controlPlaneEndpoint) {
      const cpe = cc.controlPlaneEndpoint;
      endpoint = cpe.includes(':') && !cpe.startsWith('[') ? cpe : `${cpe}:6443`;
      endpointSource = 'kubeadm-config';
    }
    if (!caPem) caPem = kubeconfigCa(cluster);
    let hash: string | undefined;
    if (caPem) {
      try {
        caPem = firstCertificate(caPem);
        hash = caCertHash(caPem);
      } catch (err) {
        notes.push(`cluster CA: ${(err as Error).message}`);
      }
    } else {
      notes.push('cluster CA: not in cluster-info nor in the kubeconfig');
    }

    // CIDRs: kubeadm's ClusterConfiguration, then kube-proxy's config, then control-plane flags.
    const networking = (cc?.networking ?? {}) as { podSubnet?: string; serviceSubnet?: string };
    let podCidr = networking.podSubnet;
    let serviceCidr = networking.serviceSubnet;
    let cidrSource = podCidr || serviceCidr ? 'kubeadm-config' : undefined;
    if (!podCidr && kubeProxyCm?.data?.['config.conf']) {
      const proxyConf = parseYaml(kubeProxyCm.data['config.conf']) as { clusterCIDR?: string } | null;
      if (proxyConf?.clusterCIDR) {
        podCidr = proxyConf.clusterCIDR;
        cidrSource ??= 'kube-proxy config';
      }
    }
    if (!podCidr || !serviceCidr) {
      const pods = await optional(() => cluster.core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'tier=control-plane' }), notes, 'control-plane pods');
      const byComponent = (c: string) => pods?.items.find((p) => p.metadata?.labels?.component === c);
      serviceCidr ??= flagValue(byComponent('kube-apiserver'), 'service-cluster-ip-range');
      podCidr ??= flagValue(byComponent('kube-controller-manager'), 'cluster-cidr');
      cidrSource ??= serviceCidr || podCidr ? 'control-plane flags' : undefined;
    }

    const cni = await detectCni(cluster, notes, Boolean(awsNode));
    if (!podCidr && cni.flannel?.network) podCidr = cni.flannel.network;

    const flavor = detectFlavor(info.gitVersion, server, nodes, Boolean(kubeadmConfig), Boolean(awsNode));
    const summaries = nodes.map(summariseNode);
    const anchor = summaries.find((n) => n.controlPlane && n.providerId) ?? summaries.find((n) => n.providerId);
    const placement = anchor?.providerId ? parseProviderId(anchor.providerId) : undefined;
    const name = (typeof cc?.clusterName === 'string' && cc.clusterName) || cluster.resolved.clusterName || 'kubernetes';

    return {
      name,
      version: info.gitVersion.replace(/^v/, '').replace(/[-+].*$/, ''),
      gitVersion: info.gitVersion,
      endpoint,
      endpointSource,
      ...(caPem ? { caPem } : {}),
      ...(hash ? { caCertHash: hash } : {}),
      ...(serviceCidr ? { serviceCidr } : {}),
      ...(podCidr ? { podCidr } : {}),
      ...(cidrSource ? { cidrSource } : {}),
      ...(kubeDns?.spec?.clusterIP ? { dnsIp: kubeDns.spec.clusterIP } : {}),
      ...(typeof (cc?.networking as { dnsDomain?: unknown } | undefined)?.dnsDomain === 'string' ? { clusterDomain: (cc!.networking as { dnsDomain: string }).dnsDomain } : {}),
      cni,
      flavor,
      ...(placement ? { placement } : {}),
      nodes: summaries,
      notes,
    };
  } catch (err) {
    throw apiError(err, 'read the cluster', server);
  }
}

function kubeconfigCa(cluster: Cluster): string | undefined {
  const entry = cluster.resolved.config.clusters.find((c) => c.name === cluster.resolved.clusterName);
  const c = (entry?.cluster ?? {}) as { 'certificate-authority-data'?: string; 'certificate-authority'?: string };
  if (c['certificate-authority-data']) return Buffer.from(c['certificate-authority-data'], 'base64').toString('utf8');
  if (c['certificate-authority']) {
    try {
      return readFileSync(c['certificate-authority'], 'utf8');
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function detectCni(cluster: Cluster, notes: string[], hasAwsNode: boolean): Promise<ClusterFacts['cni']> {
  for (const namespace of ['kube-flannel', 'kube-system']) {
    const cm = await optional(() => cluster.core.readNamespacedConfigMap({ name: 'kube-flannel-cfg', namespace }), notes, `${namespace}/kube-flannel-cfg`);
    const text = cm?.data?.['net-conf.json'];
    if (!text) continue;
    const flannel: FlannelFacts = { namespace };
    try {
      const conf = JSON.parse(text) as { Network?: string; Backend?: { Type?: string; VNI?: number; Port?: number } };
      if (conf.Network) flannel.network = conf.Network;
      if (conf.Backend?.Type) flannel.backendType = conf.Backend.Type;
      if (typeof conf.Backend?.VNI === 'number') flannel.vni = conf.Backend.VNI;
      if (typeof conf.Backend?.Port === 'number') flannel.port = conf.Backend.Port;
      // flannel decodes the Backend with Go's encoding/json, which matches keys case-insensitively;
      // the old Windows guides that named the network wrote "name", not "Name".
      const nameKey = Object.keys(conf.Backend ?? {}).find((k) => k.toLowerCase() === 'name');
      const name = nameKey ? (conf.Backend as Record<string, unknown>)[nameKey] : undefined;
      if (typeof name === 'string' && name) flannel.backendName = name;
    } catch {
      notes.push(`${namespace}/kube-flannel-cfg: net-conf.json is not valid JSON`);
    }
    return { type: 'flannel', flannel };
  }
  const installation = await optional(
    () => cluster.custom.getClusterCustomObject({ group: 'operator.tigera.io', version: 'v1', plural: 'installations', name: 'default' }) as Promise<{ spec?: Record<string, unknown> }>,
    notes,
    'operator.tigera.io Installation',
  );
  let calicoNode = false;
  if (!installation) {
    for (const namespace of ['calico-system', 'kube-system']) {
      if (await optional(() => cluster.apps.readNamespacedDaemonSet({ name: 'calico-node', namespace }), notes, `${namespace}/calico-node`)) calicoNode = true;
    }
  }
  if (installation || calicoNode) {
    const spec = (installation?.spec ?? {}) as { calicoNetwork?: { windowsDataplane?: string; ipPools?: { encapsulation?: string }[] }; serviceCIDRs?: string[] };
    return {
      type: 'calico',
      calico: {
        installation: Boolean(installation),
        ...(spec.calicoNetwork?.windowsDataplane ? { windowsDataplane: spec.calicoNetwork.windowsDataplane } : {}),
        ...(spec.serviceCIDRs ? { serviceCIDRs: spec.serviceCIDRs } : {}),
        encapsulations: (spec.calicoNetwork?.ipPools ?? []).map((p) => p.encapsulation ?? 'IPIP'),
      },
    };
  }
  if (hasAwsNode) return { type: 'aws-vpc-cni' };
  return { type: 'unknown' };
}
