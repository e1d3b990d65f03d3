import type * as k8s from '@kubernetes/client-node';
import { parseProviderId } from '../cluster/provider-id.js';
import { WINDOWS_RELEASES, type WindowsRelease } from '../compat/windows.js';
import { eventTime } from './events.js';
import type { CheckOutcome, Snapshot } from './types.js';

/**
 * What a managed Windows node's flavour (AKS, GKE) changes in a check, read from the node alone:
 * its providerID and the labels the cloud's node agent sets (AKS's reserved kubernetes.azure.com/*
 * labels; GKE's cloud.google.com/gke-* labels). Where only the cloud's own API can tell (a pool's
 * image type, the cluster's network profile), the outcome says so and names the command that shows it,
 * instead of failing.
 */

export type AksNode = {
  kind: 'aks';
  /** kubernetes.azure.com/cluster: the node resource group, MC_<rg>_<cluster>_<location>. */
  nodeResourceGroup: string;
  pool: string;
  /** kubernetes.azure.com/os-sku: Windows2019, Windows2022, ... */
  osSku?: string;
  nodeImage?: string;
  /** Azure CNI Overlay (kubernetes.azure.com/azure-cni-overlay=true): pod IPs from the node's podCIDR, not the VNet. */
  overlay: boolean;
  subnet?: string;
  scaleSet?: string;
  instance?: string;
};

export type GkeNode = {
  kind: 'gke';
  pool: string;
  project: string;
  zone: string;
  instance: string;
  /** The cluster's name as GKE puts it in instance names (gke-<cluster>-<pool>-<hash>-<id>), when it can be read. */
  cluster?: string;
  /** cloud.google.com/gke-container-runtime. */
  containerRuntime?: string;
};

export type ManagedNode = AksNode | GkeNode;

/** Read once per node: net.cni, net.kube-proxy, node.windows-build and node.runtime all ask. */
const flavours = new WeakMap<k8s.V1Node, ManagedNode | undefined>();

export function managedNode(n: k8s.V1Node): ManagedNode | undefined {
  if (!flavours.has(n)) flavours.set(n, readFlavour(n));
  return flavours.get(n);
}

function readFlavour(n: k8s.V1Node): ManagedNode | undefined {
  const labels = n.metadata?.labels ?? {};
  const placement = parseProviderId(n.spec?.providerID ?? '');
  const aksCluster = labels['kubernetes.azure.com/cluster'];
  if (placement?.cloud === 'azure' && aksCluster) {
    return {
      kind: 'aks',
      nodeResourceGroup: aksCluster,
      pool: labels['kubernetes.azure.com/agentpool'] ?? labels['agentpool'] ?? '?',
      ...(labels['kubernetes.azure.com/os-sku'] ? { osSku: labels['kubernetes.azure.com/os-sku'] } : {}),
      ...(labels['kubernetes.azure.com/node-image-version'] ? { nodeImage: labels['kubernetes.azure.com/node-image-version'] } : {}),
      overlay: labels['kubernetes.azure.com/azure-cni-overlay'] === 'true' || labels['kubernetes.azure.com/podnetwork-type'] === 'overlay',
      ...(labels['kubernetes.azure.com/network-subnet'] ? { subnet: labels['kubernetes.azure.com/network-subnet'] } : {}),
      ...(placement.scaleSet ? { scaleSet: placement.scaleSet, instance: placement.vmName } : {}),
    };
  }
  const gkePool = labels['cloud.google.com/gke-nodepool'];
  if (placement?.cloud === 'gcp' && gkePool) {
    const m = new RegExp(`^gke-(.+)-${gkePool.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{8}-[a-z0-9]{4}$`).exec(placement.instance);
    return {
      kind: 'gke',
      pool: gkePool,
      project: placement.project,
      zone: placement.zone,
      instance: placement.instance,
      ...(m ? { cluster: m[1] } : {}),
      ...(labels['cloud.google.com/gke-container-runtime'] ? { containerRuntime: labels['cloud.google.com/gke-container-runtime'] } : {}),
    };
  }
  return undefined;
}

/** The resource group and cluster name in AKS's node resource group name, when it has exactly that shape. */
function aksNames(f: AksNode): { rg: string; cluster: string } {
  const parts = f.nodeResourceGroup.split('_');
  if (parts.length === 4 && /^MC$/i.test(parts[0]!)) return { rg: parts[1]!, cluster: parts[2]! };
  return { rg: '<resource-group>', cluster: '<cluster>' };
}

/** A PowerShell line run on the AKS node's scale-set instance: the one way to see its services without a pod. */
export function aksRunCommand(f: AksNode, script: string): string {
  if (!f.scaleSet) return `az vm run-command invoke -g ${f.nodeResourceGroup} -n <vm> --command-id RunPowerShellScript --scripts "${script}"`;
  return `az vmss run-command invoke -g ${f.nodeResourceGroup} -n ${f.scaleSet} --instance-id ${f.instance} --command-id RunPowerShellScript --scripts "${script}"`;
}

/** The -g and --cluster-name of the az aks nodepool commands. */
function aksPoolArgs(f: AksNode): string {
  const { rg, cluster } = aksNames(f);
  return `-g ${rg} --cluster-name ${cluster}`;
}

const gkeCluster = (f: GkeNode) => f.cluster ?? '<cluster>';
const serialLog = (f: GkeNode) => `gcloud compute instances get-serial-port-output ${f.instance} --zone ${f.zone} --project ${f.project}`;
const describePool = (f: GkeNode) =>
  `gcloud container node-pools describe ${f.pool} --cluster ${gkeCluster(f)} --location <cluster location> --project ${f.project} --format="value(config.imageType,config.windowsNodeConfig.osVersion)"`;

// ---------------------------------------------------------------------------------------------
// net.kube-proxy: both run it on Windows nodes as a Windows service, not a pod.
// ---------------------------------------------------------------------------------------------

export function managedKubeProxy(f: ManagedNode): CheckOutcome {
  if (f.kind === 'aks') {
    return {
      status: 'skip',
      message: `AKS runs kube-proxy on Windows nodes as the Windows service kubeproxy, not a pod: not visible from the API; on AKS run ${aksRunCommand(f, 'Get-Service kubeproxy')}`,
    };
  }
  return {
    status: 'skip',
    message: `GKE runs kube-proxy on Windows nodes as a Windows service its boot script installs, not a pod: not visible from the API; on GKE its setup log is in ${serialLog(f)}`,
  };
}

// ---------------------------------------------------------------------------------------------
// net.cni: no CNI pod on either; what the API shows of the network they set up.
// ---------------------------------------------------------------------------------------------

const SANDBOX_EVENT_MS = 60 * 60_000;

/** Pods on the node still creating their sandbox, each with its latest FailedCreatePodSandBox message. */
function stuckSandboxes(snap: Snapshot, node: string): Array<{ pod: string; message: string }> {
  const out: Array<{ pod: string; message: string }> = [];
  for (const p of snap.pods) {
    if (p.spec?.nodeName !== node || p.spec?.hostNetwork || p.status?.phase !== 'Pending') continue;
    const events = snap.events
      .filter((e) => e.reason === 'FailedCreatePodSandBox' && e.involvedObject.namespace === p.metadata?.namespace && e.involvedObject.name === p.metadata?.name && Date.now() - eventTime(e) < SANDBOX_EVENT_MS)
      .sort((a, b) => eventTime(b) - eventTime(a));
    if (events.length > 0) out.push({ pod: `${p.metadata?.namespace}/${p.metadata?.name}`, message: events[0]!.message ?? '' });
  }
  return out;
}

const withIp = (snap: Snapshot, node: string) => snap.pods.filter((p) => p.spec?.nodeName === node && !p.spec?.hostNetwork && p.status?.podIP).length;

export function managedCni(snap: Snapshot, n: k8s.V1Node, f: ManagedNode): CheckOutcome {
  const name = n.metadata?.name ?? '?';
  const podCidr = n.spec?.podCIDR;
  const stuck = stuckSandboxes(snap, name);
  const evidence = stuck.map((s) => `${s.pod}: ${s.message}`);
  if (f.kind === 'aks') {
    const { rg, cluster } = aksNames(f);
    const mode = f.overlay ? `Azure CNI Overlay (pod IPs from the node's range ${podCidr ?? '?'})` : `Azure CNI (pods get VNet IPs from subnet ${f.subnet ?? 'of the node pool'})`;
    const profile = `not visible from the API; on AKS run az aks show -g ${rg} -n ${cluster} --query networkProfile`;
    if (f.overlay && !podCidr) {
      return { status: 'fail', message: 'the node is labelled for Azure CNI Overlay but has no spec.podCIDR: azure-cns has no range to hand pod IPs from', hint: `${profile}, and reimage the node (az vmss reimage -g ${f.nodeResourceGroup} -n ${f.scaleSet ?? '<vmss>'} --instance-ids ${f.instance ?? '<id>'})` };
    }
    if (stuck.length > 0) {
      return {
        status: 'fail',
        message: `${mode}: ${stuck.length} pod(s) cannot get a network: ${evidence.join('; ')}`,
        hint: f.overlay
          ? `the Azure CNI plugin runs on the node (no CNI pod on Windows) and asks azure-cns for an IP; ${profile}, and read C:\\k\\azure-vnet.log on the node (${aksRunCommand(f, 'Get-Content C:\\k\\azure-vnet.log -Tail 50')})`
          : `Azure CNI reserves maxPods VNet IPs per node up front, so a full subnet stops new pods: ${profile}; check the subnet's free addresses (az network vnet subnet show), and read C:\\k\\azure-vnet.log on the node`,
        evidence,
      };
    }
    return { status: 'pass', message: `${mode}: ${withIp(snap, name)} pod(s) on the node have an IP; Azure CNI runs as a plugin on AKS Windows nodes, no CNI pod expected` };
  }
  if (!podCidr) {
    return {
      status: 'fail',
      message: "the node has no spec.podCIDR: GKE's VPC-native Windows nodes take their pod range (alias IPs) from it and write their CNI config at boot, so pods cannot get IPs",
      hint: `not visible from the API which step failed; on GKE read the node's setup log: ${serialLog(f)}; recreate the node if the range never came`,
    };
  }
  if (stuck.length > 0) {
    return {
      status: 'fail',
      message: `GKE VPC-native, pod range ${podCidr}: ${stuck.length} pod(s) cannot get a network: ${evidence.join('; ')}`,
      hint: `GKE's Windows node sets up its CNI (win-bridge on the alias range) at boot, with no CNI pod: read the node's setup log (${serialLog(f)})`,
      evidence,
    };
  }
  return { status: 'pass', message: `GKE VPC-native: pod range ${podCidr} (alias IPs), ${withIp(snap, name)} pod(s) with an IP; GKE writes the node's CNI config at boot, no CNI pod expected` };
}

// ---------------------------------------------------------------------------------------------
// node.windows-build and node.runtime: the pool's OS and image.
// ---------------------------------------------------------------------------------------------

/** AKS's OS SKU for a Windows release (Windows2019, Windows2022, Windows2025). */
const aksSkuBuild = (sku: string): number | undefined => {
  const m = /^Windows(\d{4})$/.exec(sku);
  const release = m ? Object.values(WINDOWS_RELEASES).find((r) => r.version === m[1]) : undefined;
  return release?.build;
};

/** The flavour's word on the node's Windows release: an outcome when it judges, else a note for the pass message. */
export function managedBuild(f: ManagedNode, release: WindowsRelease): CheckOutcome | { note: string } {
  const build = release.build;
  if (f.kind === 'aks') {
    const skuBuild = f.osSku ? aksSkuBuild(f.osSku) : undefined;
    if (f.osSku && skuBuild !== undefined && skuBuild !== build) {
      return {
        status: 'fail',
        message: `AKS pool ${f.pool} has OS SKU ${f.osSku} (build ${skuBuild}), but the node runs build ${build}${f.nodeImage ? ` (node image ${f.nodeImage})` : ''}`,
        hint: `the node's image is not the pool's: upgrade the pool's node image (az aks nodepool upgrade --node-image-only ${aksPoolArgs(f)} -n ${f.pool})`,
      };
    }
    return { note: `AKS pool ${f.pool}${f.osSku ? `, OS SKU ${f.osSku}` : ''}${f.nodeImage ? `, node image ${f.nodeImage}` : ''}` };
  }
  return {
    note: `GKE pool ${f.pool}: its image type (WINDOWS_LTSC_CONTAINERD on containerd) and Windows version (OS_VERSION_LTSC${release.version} for this build) are not visible from the API; on GKE run ${describePool(f)}`,
  };
}

/**
 * GKE and AKS run Windows pools on containerd only (GKE: the *_CONTAINERD image types from 1.24;
 * AKS: from 1.23). A Docker node is therefore on an older kubelet: it works, but the pool must be
 * replaced before the cluster is upgraded.
 */
export function managedRuntime(f: ManagedNode, runtime: string): CheckOutcome | { note: string } {
  if (runtime.startsWith('docker://')) {
    if (f.kind === 'gke') {
      return {
        status: 'warn',
        message: `${runtime} on GKE pool ${f.pool}: GKE's Docker-based Windows image types (WINDOWS_LTSC, WINDOWS_SAC) end with 1.24, so this pool cannot be upgraded as it is`,
        hint: `create a pool with --image-type=WINDOWS_LTSC_CONTAINERD and move the workloads (gcloud container node-pools create ... --cluster ${gkeCluster(f)} --image-type=WINDOWS_LTSC_CONTAINERD --windows-os-version=ltsc2022)`,
      };
    }
    return {
      status: 'warn',
      message: `${runtime} on AKS pool ${f.pool}: AKS Windows pools run containerd from Kubernetes 1.23, so this pool cannot be upgraded as it is`,
      hint: `add a containerd Windows pool and move the workloads (az aks nodepool add ${aksPoolArgs(f)} --os-type Windows --os-sku Windows2022 -n <pool>)`,
    };
  }
  if (f.kind === 'gke') return { note: `GKE pool ${f.pool} (a containerd image type, WINDOWS_LTSC_CONTAINERD${f.containerRuntime ? `; cloud.google.com/gke-container-runtime=${f.containerRuntime}` : ''})` };
  return { note: `AKS pool ${f.pool}${f.osSku ? ` (${f.osSku})` : ''}` };
}
