import { k8sMinor } from './versions.js';
import type { CniName, RuntimeName } from './matrix.js';
import { criSocket } from './runtime.js';

/**
 * Command-line flags for kubelet and kube-proxy on Windows, per Kubernetes version. Removed
 * flags make the binaries refuse to start, so every version-dependent flag is gated here:
 * - --network-plugin, --cni-bin-dir, --cni-conf-dir, --image-pull-progress-deadline: dockershim
 *   only, removed in 1.24 (kubernetes/kubernetes#106907).
 * - --container-runtime: needed as `remote` for CRI runtimes before 1.24, removed in 1.27
 *   (CHANGELOG-1.27, #114017).
 * - --pod-infra-container-image: only meaningful to dockershim; deprecated 1.27, removed in 1.35
 *   (CHANGELOG-1.35, #133779). With containerd the sandbox image is set in containerd's config.
 * - --logtostderr / --log-file: klog flags removed in 1.26 (#112120); from 1.23 kube-log-runner
 *   (#106123) redirects output instead.
 * - kube-proxy WinOverlay gate: needed before 1.20 (beta, on by default from 1.20), GA and
 *   locked in 1.34 (#132108, #133042); passing it after its removal (#142125) fails, so it is
 *   never passed from 1.20. DSR: --enable-dsr from 1.33 (WinDSR beta, on by default).
 */
export const PATHS = {
  kubeDir: 'C:\\k',
  kubeletConfig: 'C:\\var\\lib\\kubelet\\config.yaml',
  kubeletCertDir: 'C:\\var\\lib\\kubelet\\pki',
  bootstrapKubeconfig: 'C:\\etc\\kubernetes\\bootstrap-kubelet.conf',
  kubeletKubeconfig: 'C:\\etc\\kubernetes\\kubelet.conf',
  logDir: 'C:\\var\\log',
  cniBinDir: 'C:\\opt\\cni\\bin',
  cniConfDir: 'C:\\etc\\cni\\net.d',
} as const;

export interface FlagInput {
  kubernetesVersion: string;
  runtime: RuntimeName;
  cni: CniName;
  nodeName: string;
  labels: Record<string, string>;
  taints: readonly string[];
  sandboxImage: string;
}

export function kubeletFlags(input: FlagInput): string[] {
  const minor = k8sMinor(input.kubernetesVersion);
  const flags = [
    '--windows-service',
    `--config=${PATHS.kubeletConfig}`,
    `--bootstrap-kubeconfig=${PATHS.bootstrapKubeconfig}`,
    `--kubeconfig=${PATHS.kubeletKubeconfig}`,
    `--cert-dir=${PATHS.kubeletCertDir}`,
    `--hostname-override=${input.nodeName}`,
    // Windows has no cgroups and no resolv.conf; kubelet must be told so explicitly.
    '--cgroups-per-qos=false',
    '--enforce-node-allocatable=',
    '--resolv-conf=',
  ];
  // With dockershim (Docker before 1.24) the kubelet serves CRI itself on this endpoint: pointing
  // it at Docker's own pipe makes the kubelet try to create that pipe and exit (kubeadm sets the
  // flag only for sockets other than Docker's).
  if (!(input.runtime === 'docker' && minor < 24)) flags.push(`--container-runtime-endpoint=${criSocket(input.runtime, input.kubernetesVersion)}`);
  if (minor >= 20) flags.push('--windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS');
  if (input.runtime === 'containerd' && minor < 24) flags.push('--container-runtime=remote');
  if (input.runtime === 'docker' && minor < 24) {
    flags.push(
      '--network-plugin=cni',
      `--cni-bin-dir=${PATHS.cniBinDir}`,
      `--cni-conf-dir=${PATHS.cniConfDir}`,
      '--image-pull-progress-deadline=20m',
      `--pod-infra-container-image=${input.sandboxImage}`,
    );
  }
  if (minor < 23) flags.push('--logtostderr=false', `--log-file=${PATHS.logDir}\\kubelet\\kubelet.log`);
  const labels = Object.entries(input.labels).map(([k, v]) => `${k}=${v}`);
  if (labels.length > 0) flags.push(`--node-labels=${labels.join(',')}`);
  if (input.taints.length > 0) flags.push(`--register-with-taints=${input.taints.join(',')}`);
  return flags;
}

export interface ProxyFlagInput {
  kubernetesVersion: string;
  nodeName: string;
  clusterCidr: string;
  /** HNS network kube-proxy programs (flannel's VXLAN network is named flannel.<VNI>). */
  networkName: string;
}

/** kube-proxy runs as a node service only with flannel; Calico's operator runs its own. */
export function kubeProxyFlags(input: ProxyFlagInput): string[] {
  const minor = k8sMinor(input.kubernetesVersion);
  const flags = [
    '--windows-service',
    '--proxy-mode=kernelspace',
    `--hostname-override=${input.nodeName}`,
    `--kubeconfig=${PATHS.kubeletKubeconfig}`,
    `--cluster-cidr=${input.clusterCidr}`,
    `--network-name=${input.networkName}`,
  ];
  if (minor < 20) flags.push('--feature-gates=WinOverlay=true');
  if (minor >= 33) flags.push('--enable-dsr=true');
  if (minor < 23) flags.push('--logtostderr=false', `--log-file=${PATHS.logDir}\\kube-proxy\\kube-proxy.log`);
  return flags;
}

/** Flags that must never be emitted for a version; tests assert none leaks through. */
export function removedKubeletFlags(kubernetesVersion: string): string[] {
  const minor = k8sMinor(kubernetesVersion);
  const removed: string[] = [];
  if (minor >= 24) removed.push('--network-plugin', '--cni-bin-dir', '--cni-conf-dir', '--image-pull-progress-deadline');
  if (minor >= 26) removed.push('--logtostderr', '--log-file', '--log-dir');
  if (minor >= 27) removed.push('--container-runtime=');
  if (minor >= 35) removed.push('--pod-infra-container-image');
  return removed;
}
