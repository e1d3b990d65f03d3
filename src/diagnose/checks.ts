import type * as k8s from '@kubernetes/client-node';
import { kubernetesSupportedReleases, windowsReleaseForBuild, WINDOWS_RELEASES } from '../compat/windows.js';
import type { CheckDefinition, CheckOutcome, Snapshot } from './types.js';
import { eventTime } from './events.js';
import { K8S_DOCS } from './docs.js';
import { POOL_LABEL } from '../cluster/nodes.js';
import { managedBuild, managedCni, managedKubeProxy, managedNode, managedRuntime } from './flavour.js';

const ROOT = 'cluster.windows-nodes';

function minorOf(version: string | undefined): { major: number; minor: number } | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

function podsOn(snap: Snapshot, node: string): k8s.V1Pod[] {
  return snap.pods.filter((p) => p.spec?.nodeName === node);
}

function podRunning(p: k8s.V1Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready);
}

function waitingReasons(p: k8s.V1Pod): string[] {
  return (p.status?.containerStatuses ?? []).flatMap((c) => (c.state?.waiting?.reason ? [c.state.waiting.reason] : []));
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined;
  return parts.reduce((acc, n) => acc * 256 + n, 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(base ?? '');
  const bits = Number(bitsText);
  if (a === undefined || b === undefined || !Number.isInteger(bits)) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

/**
 * Pods of one DaemonSet that share this node. A DaemonSet runs one pod per node: a second one
 * (a node matched twice after a selector change, a stuck old pod, two installs of the same agent
 * under one name) means two agents fight over the same HNS networks and policies.
 */
function sameDaemonSetTwice(pods: k8s.V1Pod[]): string[] {
  const byOwner = new Map<string, string[]>();
  for (const p of pods) {
    // A pod being deleted is on its way out: a rolling update overlaps old and new briefly.
    if (p.metadata?.deletionTimestamp) continue;
    const owner = p.metadata?.ownerReferences?.find((o) => o.kind === 'DaemonSet');
    if (!owner) continue;
    const key = `${p.metadata?.namespace}/${owner.name}`;
    byOwner.set(key, [...(byOwner.get(key) ?? []), p.metadata?.name ?? '?']);
  }
  return [...byOwner].filter(([, names]) => names.length > 1).map(([ds, names]) => `DaemonSet ${ds} has ${names.length} pods on the node: ${names.join(', ')}`);
}

const DUPLICATE_HINT = 'delete the extra pod (kubectl delete pod -n <namespace> <pod>) and check the DaemonSet for a node matched twice or an old pod stuck terminating';

const KUBE_PROXY_UNKNOWN = 'no kube-proxy pod with a versioned image on the node, and the Node reports no kubeProxyVersion';

/** The version in an image reference whose repository is kube-proxy: registry.k8s.io/kube-proxy:v1.33.2, sigwindowstools/kube-proxy:v1.33.2-calico-hostprocess. */
export function kubeProxyImageVersion(image: string): string | undefined {
  const ref = image.split('@')[0] ?? '';
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  if (colon === -1 || !/kube-proxy/.test(last.slice(0, colon))) return undefined;
  return /^v?\d+\.\d+(?:\.\d+)?/.exec(last.slice(colon + 1))?.[0];
}

/**
 * kube-proxy's version, from the image of the kube-proxy pod on the node. nodeInfo.kubeProxyVersion
 * is deprecated and written by the kubelet with its own version, so it says nothing about the
 * kube-proxy actually running; it is used only when no pod tells, and the result says so.
 */
function kubeProxyVersion(snap: Snapshot, nd: k8s.V1Node): { version: string; label: string; fromNodeInfo?: string } | undefined {
  const pods = podsOn(snap, nameOf(nd))
    .filter((p) => /kube-proxy/.test(p.metadata?.name ?? ''))
    // A running pod is the kube-proxy in effect; a pending replacement is not yet.
    .sort((a, b) => Number(podRunning(b)) - Number(podRunning(a)));
  for (const p of pods) {
    for (const c of p.spec?.containers ?? []) {
      const version = kubeProxyImageVersion(c.image ?? '');
      if (version) return { version, label: `kube-proxy (${p.metadata?.name} image ${c.image})` };
    }
  }
  const reported = nd.status?.nodeInfo?.kubeProxyVersion;
  if (!reported) return undefined;
  return { version: reported, label: 'kube-proxy', fromNodeInfo: 'from the deprecated nodeInfo.kubeProxyVersion, which the kubelet fills: no kube-proxy pod with a versioned image on the node' };
}

/**
 * A component that may run outside any pod: as a Windows service (win-k8s's bootstrap registers
 * kube-proxy as the service "kube-proxy"; AKS names it "kubeproxy") or as a supervised process
 * (win-k8s runs flanneld from a startup task, so it is a process with no service).
 */
interface HostComponent {
  label: string;
  /** How win-k8s's bootstrap runs it. */
  winK8s: string;
  services: string[];
  process: string;
}

const KUBE_PROXY_ON_HOST: HostComponent = { label: 'kube-proxy', winK8s: 'the Windows service kube-proxy', services: ['kube-proxy', 'kubeproxy'], process: 'kube-proxy' };
const FLANNELD_ON_HOST: HostComponent = { label: 'flanneld', winK8s: 'flanneld.exe under the startup task win-k8s-flanneld', services: ['flanneld'], process: 'flanneld' };

/**
 * What the on-node report says of a component that runs outside pods: running (and how), not
 * running, or why it cannot tell (no report, or no services section).
 */
function onHost(snap: Snapshot, nodeName: string, c: HostComponent): { running: boolean; detail: string } | { unknown: string } {
  const entry = snap.nodeReports?.get(nodeName);
  if (!entry) return { unknown: snap.nodeReports ? `no on-node report for ${nodeName}` : 'the node checks were not run' };
  if ('skipped' in entry) return { unknown: `the on-node report was skipped: ${entry.skipped}` };
  if ('error' in entry) return { unknown: `the on-node report failed: ${entry.error}` };
  const services = entry.report.services;
  if (!services || services.error) return { unknown: `the on-node report has no service states${services?.error ? ` (${services.error})` : ''}` };
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const svc = (services.items ?? []).filter((s) => s.present && c.services.some((n) => same(n, s.name)));
  const running = svc.find((s) => s.status === 'Running');
  if (running) return { running: true, detail: `Windows service ${running.name} Running` };
  const processes = (services.processes ?? []).find((p) => same(p.name, c.process))?.running ?? 0;
  if (processes > 0) return { running: true, detail: `${c.process}.exe running (${processes} process${processes > 1 ? 'es' : ''}, no pod)` };
  return { running: false, detail: svc.length > 0 ? `Windows service ${svc.map((s) => `${s.name} ${s.status ?? 'in an unknown state'}`).join(', ')} and no ${c.process}.exe process` : `no ${c.label} service and no ${c.process}.exe process` };
}

/**
 * The win-k8s pool of a node win-k8s joined (its bootstrap and join both set the pool label),
 * and whether that join ran this component on the host: with flannel, win-k8s's bootstrap
 * starts kube-proxy as a Windows service and flanneld as a supervised process, never as pods
 * (with Calico, the Tigera operator's DaemonSets run both as HostProcess pods).
 */
function winK8sHostRun(snap: Snapshot, nd: k8s.V1Node): string | undefined {
  const pool = nd.metadata?.labels?.[POOL_LABEL];
  if (pool === undefined || snap.facts.cni.type !== 'flannel') return undefined;
  return pool;
}

/**
 * The outcome for a component with no pod on the node: judged from the on-node report when there
 * is one, skipped (not visible from the API) on a node whose setup runs it on the host, else
 * undefined (the caller's own verdict stands).
 */
function hostRunOutcome(snap: Snapshot, nd: k8s.V1Node, c: HostComponent, startHint: string): CheckOutcome | undefined {
  const name = nameOf(nd);
  const seen = onHost(snap, name, c);
  const pool = winK8sHostRun(snap, nd);
  if ('running' in seen) {
    if (seen.running) return { status: 'pass', message: `${c.label} runs on the host, not in a pod: ${seen.detail} (on-node report)${pool !== undefined ? `; win-k8s pool ${pool} runs it this way` : ''}` };
    // A report that shows it down is the node's own word: a fail whether or not win-k8s made the node.
    return { status: 'fail', message: `no ${c.label} pod on the node, and the on-node report shows ${seen.detail}`, hint: startHint };
  }
  if (pool !== undefined) {
    return {
      status: 'skip',
      message: `win-k8s pool ${pool} with flannel runs ${c.label} on the host (${c.winK8s}), not in a pod: not visible from the API; run with the node checks (node.host.services) to see it (${seen.unknown})`,
    };
  }
  return undefined;
}

/** The extended resource EKS's VPC resource controller puts on a Windows node: the pod IPs it can hand out. */
const EKS_WINDOWS_IPS = 'vpc.amazonaws.com/PrivateIPv4Address';

/**
 * EKS: Windows pods get their IPs from the VPC resource controller in the control plane, not a
 * node pod. It manages a Windows node once enable-windows-ipam is "true" in the
 * kube-system/amazon-vpc-cni ConfigMap, and then advertises the node's IPs as this resource;
 * without it, every Windows pod waits for an IP in ContainerCreating.
 */
function vpcCniOutcome(nd: k8s.V1Node): CheckOutcome {
  const ips = Number(nd.status?.allocatable?.[EKS_WINDOWS_IPS] ?? nd.status?.capacity?.[EKS_WINDOWS_IPS] ?? Number.NaN);
  if (Number.isFinite(ips) && ips > 0) return { status: 'pass', message: `amazon-vpc-cni: the VPC resource controller gives this node ${ips} pod IPs (${EKS_WINDOWS_IPS}); no node pod expected` };
  return {
    status: 'fail',
    message: `the node advertises no ${EKS_WINDOWS_IPS}: the VPC resource controller hands it no pod IPs, so Windows pods stay in ContainerCreating`,
    hint: 'set enable-windows-ipam: "true" in the kube-system/amazon-vpc-cni ConfigMap and check that the cluster IAM role has AmazonEKSVPCResourceController; the resource appears on the node within a minute',
  };
}

const node = (n: k8s.V1Node | undefined): k8s.V1Node => {
  if (!n) throw new Error('node check run without a node');
  return n;
};
const nameOf = (n: k8s.V1Node): string => n.metadata?.name ?? '?';

/**
 * Events older than this are history, not the node's state: kube-apiserver keeps events an
 * hour by default (--event-ttl), but managed clusters often keep them longer.
 */
export const RECENT_EVENT_MS = 60 * 60_000;

/** The image tags of the releases containerd runs on (ltsc2019/ltsc2022/...). */
const CONTAINERD_TAGS = Object.values(WINDOWS_RELEASES).filter((r) => r.containerd).map((r) => r.imageTag).join('/');

/** Known FailedCreatePodSandBox causes on Windows, each with its fix (diagnose catalogue A09). */
export const SANDBOX_CAUSES: Array<{ pattern: RegExp; cause: string; hint: string }> = [
  {
    pattern: /does not match the host operating system/i,
    cause: 'container image OS build does not match the node',
    hint: `use an image (and pause image) whose tag matches the node's build (${CONTAINERD_TAGS}, see node.kubernetes.io/windows-build), or schedule by build with a RuntimeClass`,
  },
  { pattern: /hnsCall failed/i, cause: 'the Host Networking Service refused the call', hint: 'restart the hns service (and then the CNI agent and kubelet) on the node, and check the CNI config in C:\\etc\\cni\\net.d' },
  { pattern: /failed to allocate for range/i, cause: 'no pod IP left in the node range', hint: "the node's pod CIDR is exhausted or host-local IPAM holds stale reservations: delete the stale files under the IPAM data dir for pods that no longer exist, or give the node a larger podCIDR" },
  { pattern: /vpc\.amazonaws\.com\/PrivateIPv4Address/i, cause: 'EKS Windows IPAM not enabled', hint: 'set enable-windows-ipam: "true" in the kube-system/amazon-vpc-cni ConfigMap' },
  { pattern: /failed to reserve sandbox name/i, cause: 'a previous sandbox creation is still running (HCS slow)', hint: 'wait; if it repeats, check the node disk and restart containerd' },
];

export const CHECKS: CheckDefinition[] = [
  {
    id: ROOT,
    category: 'cluster',
    scope: 'cluster',
    title: 'Windows nodes exist',
    dependsOn: [],
    fatal: true,
    docs: K8S_DOCS.windowsIntro,
    run(snap) {
      if (snap.windowsNodes.length === 0) {
        return { status: 'fail', message: 'no Windows node (label kubernetes.io/os=windows) matches the selection', hint: 'join one with `win-k8s join`, or check --node/--pool' };
      }
      return { status: 'pass', message: `${snap.windowsNodes.length} Windows node(s): ${snap.windowsNodes.map(nameOf).join(', ')}` };
    },
  },
  {
    id: 'node.ready',
    category: 'node',
    scope: 'node',
    title: 'node is Ready without pressure',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.nodeStatus,
    run(_snap, n) {
      const conds = node(n).status?.conditions ?? [];
      const bad: string[] = [];
      const ready = conds.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') bad.push(`Ready=${ready?.status ?? 'missing'}${ready?.message ? ` (${ready.message})` : ''}`);
      for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']) {
        const c = conds.find((x) => x.type === type);
        if (c?.status === 'True') bad.push(`${type}=True${c.message ? ` (${c.message})` : ''}`);
      }
      if (bad.length > 0) return { status: 'fail', message: bad.join('; '), hint: 'check the kubelet and containerd services on the node (Get-Service kubelet,containerd) and their logs', evidence: bad };
      return { status: 'pass', message: 'Ready, no pressure' };
    },
  },
  {
    id: 'node.windows-build',
    category: 'node',
    scope: 'node',
    title: 'Windows build is supported',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.windowsIntro,
    run(_snap, n) {
      const label = node(n).metadata?.labels?.['node.kubernetes.io/windows-build'];
      const supported = kubernetesSupportedReleases().map((r) => `${r.buildLabel} (${r.version})`).join(', ');
      if (!label) return { status: 'fail', message: 'label node.kubernetes.io/windows-build is missing', hint: 'the kubelet sets it on Windows; a missing label means an old or misconfigured kubelet — workloads cannot select the matching build' };
      const build = Number(/^\d+\.\d+\.(\d+)/.exec(label)?.[1]);
      const release = windowsReleaseForBuild(build);
      if (!release) return { status: 'fail', message: `build ${label} is not a Windows Server LTSC release Kubernetes supports`, hint: `use ${supported}` };
      if (release.kubernetes.until !== undefined) return { status: 'fail', message: `Windows Server ${release.version} (${label}) is not supported by Kubernetes`, hint: `reinstall with ${supported}` };
      const message = `Windows Server ${release.version} (${label}); images must use the ${release.imageTag} tag`;
      // AKS: the pool's OS SKU must be the node's build; GKE: the pool's version is the cloud's to tell.
      const flavour = managedNode(node(n));
      const managed = flavour ? managedBuild(flavour, release) : undefined;
      if (managed && 'status' in managed) return managed;
      return { status: 'pass', message: managed ? `${message}; ${managed.note}` : message };
    },
  },
  {
    id: 'node.version-skew',
    category: 'node',
    scope: 'node',
    title: 'kubelet and kube-proxy within the version skew policy',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.versionSkew,
    run(snap, n) {
      const nd = node(n);
      const info = nd.status?.nodeInfo;
      const server = minorOf(snap.serverVersion);
      if (!server) return { status: 'skip', message: `cannot parse the API server version "${snap.serverVersion}"` };
      const proxy = kubeProxyVersion(snap, nd);
      const problems: string[] = [];
      for (const [what, v] of [['kubelet', info?.kubeletVersion], [proxy?.label ?? 'kube-proxy', proxy?.version]] as const) {
        if (!v) continue;
        const m = minorOf(v);
        if (!m) continue;
        const diff = (server.major - m.major) * 1000 + server.minor - m.minor;
        if (diff < 0) problems.push(`${what} ${v} is newer than the API server ${snap.serverVersion}`);
        else if (diff > 3) problems.push(`${what} ${v} is ${diff} minors older than the API server ${snap.serverVersion} (at most 3)`);
      }
      const proxyNote = proxy ? `${proxy.label} ${proxy.version}${proxy.fromNodeInfo ? ` (${proxy.fromNodeInfo})` : ''}` : `kube-proxy version unknown (${KUBE_PROXY_UNKNOWN})`;
      if (problems.length > 0) {
        return {
          status: 'fail',
          message: `${problems.join('; ')}${proxy?.fromNodeInfo && problems.some((p) => p.startsWith('kube-proxy')) ? ` — ${proxy.fromNodeInfo}` : ''}`,
          hint: 'upgrade (or replace) the node so its kubelet and kube-proxy are at most 3 minors older and never newer than the API server (for a kube-proxy DaemonSet, update its image tag)',
          evidence: problems,
        };
      }
      return { status: 'pass', message: `kubelet ${info?.kubeletVersion ?? '?'}, ${proxyNote} against API server ${snap.serverVersion}` };
    },
  },
  {
    id: 'node.runtime',
    category: 'node',
    scope: 'node',
    title: 'container runtime is supported',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.containerRuntimes,
    run(_snap, n) {
      const info = node(n).status?.nodeInfo;
      const runtime = info?.containerRuntimeVersion ?? '';
      const kubelet = minorOf(info?.kubeletVersion);
      const m = /^([a-z]+):\/\/v?(\d+)\.(\d+)/.exec(runtime);
      if (!m) return { status: 'fail', message: `unrecognised container runtime "${runtime}"`, hint: 'install containerd 1.7 or newer' };
      const [, kind, major, minor] = m;
      const flavour = managedNode(node(n));
      const managed = flavour ? managedRuntime(flavour, runtime) : undefined;
      if (managed && 'status' in managed) return managed;
      if (kind === 'containerd') {
        if (Number(major) < 1 || (Number(major) === 1 && Number(minor) < 7)) {
          return { status: 'warn', message: `${runtime} is older than 1.7`, hint: 'upgrade containerd to 1.7 or newer (HostProcess containers and current Windows fixes need it)' };
        }
        return { status: 'pass', message: managed ? `${runtime}; ${managed.note}` : runtime };
      }
      if (kind === 'docker') {
        // The kubelet reports docker:// after 1.24 only when it talks to cri-dockerd, so the node works.
        if (kubelet && (kubelet.major > 1 || kubelet.minor >= 24)) {
          // A kubelet of 1.24+ left with only Docker (no cri-dockerd) cannot start: the Node keeps
          // its last docker:// report but stops being Ready.
          const isReady = node(n).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
          if (!isReady) {
            return { status: 'fail', message: `${runtime} with kubelet ${info?.kubeletVersion ?? '?'} and the node is not Ready`, hint: 'dockershim was removed in 1.24: install cri-dockerd and point the kubelet at npipe:////./pipe/cri-dockerd, or move the node to containerd 1.7+' };
          }
          return { status: 'pass', message: `${runtime} through cri-dockerd (dockershim was removed in 1.24)`, hint: 'consider moving to containerd; Docker on Windows nodes is not tested upstream' };
        }
        return { status: 'warn', message: `${runtime} through dockershim (kubelet ${info?.kubeletVersion ?? '?'})`, hint: 'dockershim is gone from 1.24: switch to containerd (or cri-dockerd) before upgrading the kubelet' };
      }
      return { status: 'warn', message: `runtime ${runtime} is not one win-k8s knows on Windows`, hint: 'containerd 1.7 or newer is the supported runtime' };
    },
  },
  {
    id: 'node.kubelet-reachable',
    category: 'node',
    scope: 'node',
    title: 'the API server reaches the kubelet (port 10250)',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.ports,
    needs: ['kubelet'],
    run(snap, n) {
      const probe = snap.kubelet?.get(nameOf(node(n)));
      if (!probe) return { status: 'skip', message: 'skipped: kubelet reachability not checked' };
      if (probe.ok) return { status: 'pass', message: `kubelet ${probe.via ?? '/healthz'} answers through the API server (logs, exec and port-forward work)` };
      const forbidden = /\b403\b|forbidden/i.test(probe.error);
      return {
        status: forbidden ? 'warn' : 'fail',
        message: forbidden ? `not allowed to check: ${probe.error}` : `the API server cannot reach the kubelet: ${probe.error}`,
        hint: forbidden
          ? 'grant get on nodes/proxy to check this, or run diagnose with cluster-admin'
          : '`kubectl logs` and `exec` will fail on this node: allow TCP 10250 from the control plane to the node (Windows Firewall rule, NSG or security group) and check the kubelet runs',
      };
    },
  },
  {
    id: 'net.kube-proxy',
    category: 'network',
    scope: 'node',
    title: 'kube-proxy runs on the node',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.windowsNetworking,
    run(snap, n) {
      const name = nameOf(node(n));
      const pods = podsOn(snap, name).filter((p) => p.metadata?.namespace === 'kube-system' && /kube-proxy/.test(p.metadata?.name ?? ''));
      const running = pods.filter(podRunning);
      const twice = sameDaemonSetTwice(pods);
      if (running.length > 0 && twice.length > 0) return { status: 'warn', message: twice.join('; '), hint: DUPLICATE_HINT, evidence: twice };
      if (running.length > 0) return { status: 'pass', message: `${running.map((p) => p.metadata?.name).join(', ')} running` };
      if (pods.length === 0) {
        const host = hostRunOutcome(snap, node(n), KUBE_PROXY_ON_HOST, 'Start-Service kube-proxy on the node (or kubeproxy on AKS) and read C:\\var\\log\\kube-proxy\\kube-proxy.log; if it is meant to run as a pod, deploy the Windows kube-proxy DaemonSet');
        if (host) return host;
        const flavour = managedNode(node(n));
        if (flavour) return managedKubeProxy(flavour);
      }
      if (snap.facts.cni.type === 'aws-vpc-cni' || snap.facts.cni.type === 'unknown') {
        // EKS and AKS Windows nodes run kube-proxy as a Windows service, invisible to the API.
        if (pods.length === 0) return { status: 'skip', message: 'no kube-proxy pod on the node; it may run as a Windows service, which only an on-node check can see' };
      }
      return {
        status: 'fail',
        message: pods.length === 0 ? 'no kube-proxy pod on the node' : `kube-proxy pod(s) not running: ${pods.map((p) => `${p.metadata?.name} ${p.status?.phase ?? '?'} ${waitingReasons(p).join(',')}`.trim()).join('; ')}`,
        hint: pods.length === 0 ? 'deploy a Windows kube-proxy DaemonSet (HostProcess, nodeSelector kubernetes.io/os=windows) or run kube-proxy as a service' : 'read the pod logs: kubectl logs -n kube-system <pod>',
      };
    },
  },
  {
    id: 'net.cni',
    category: 'network',
    scope: 'node',
    title: 'CNI agent runs on the node',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.windowsNetworking,
    run(snap, n) {
      const name = nameOf(node(n));
      if (snap.facts.cni.type === 'aws-vpc-cni') return vpcCniOutcome(node(n));
      // AKS (Azure CNI) and GKE (VPC-native) Windows nodes have no CNI pod: judge what the API shows.
      const flavour = snap.facts.cni.type === 'unknown' ? managedNode(node(n)) : undefined;
      if (flavour) return managedCni(snap, node(n), flavour);
      const pods = podsOn(snap, name).filter(
        (p) => ['kube-system', 'kube-flannel', 'calico-system'].includes(p.metadata?.namespace ?? '') && /flannel|calico-node/.test(p.metadata?.name ?? '') && (p.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet'),
      );
      const running = pods.filter(podRunning);
      const twice = sameDaemonSetTwice(pods);
      if (running.length > 0 && twice.length > 0) return { status: 'warn', message: twice.join('; '), hint: DUPLICATE_HINT, evidence: twice };
      if (running.length > 0) return { status: 'pass', message: `${running.map((p) => p.metadata?.name).join(', ')} running` };
      if (pods.length === 0 && snap.facts.cni.type === 'flannel') {
        const host = hostRunOutcome(snap, node(n), FLANNELD_ON_HOST, 'flanneld runs from the startup task win-k8s-flanneld on win-k8s nodes: Start-ScheduledTask win-k8s-flanneld and read C:\\var\\log\\flanneld\\flanneld.log; if it is meant to run as a pod, deploy kube-flannel-ds-windows');
        if (host) return host;
      }
      if (pods.length === 0 && snap.facts.cni.type === 'unknown') {
        // As net.kube-proxy: a CNI win-k8s does not recognise (Azure CNI on AKS, GKE's) may have no node pod at all.
        return { status: 'skip', message: 'CNI not recognised (neither flannel, Calico nor the Amazon VPC CNI): no CNI agent pod known to look for; the on-node checks still see the HNS networks' };
      }
      return {
        status: 'fail',
        message: pods.length === 0 ? `no ${snap.facts.cni.type} pod on the node` : `CNI pod(s) not running: ${pods.map((p) => `${p.metadata?.name} ${waitingReasons(p).join(',') || p.status?.phase}`).join('; ')}`,
        hint: pods.length === 0 ? 'deploy the Windows flavour of the CNI DaemonSet (kube-flannel-ds-windows or calico-node-windows) selecting kubernetes.io/os=windows' : 'read the pod logs and the node CNI config in C:\\etc\\cni\\net.d',
      };
    },
  },
  {
    id: 'cluster.linux-daemonsets',
    category: 'workloads',
    scope: 'cluster',
    title: 'no Linux-only DaemonSet pods stuck on Windows nodes',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.windowsUserGuide,
    run(snap) {
      const windows = new Set(snap.windowsNodes.map(nameOf));
      const stuck = new Set(['ContainerCreating', 'ImagePullBackOff', 'ErrImagePull', 'CrashLoopBackOff', 'CreateContainerError']);
      const bad: string[] = [];
      for (const p of snap.pods) {
        if (!windows.has(p.spec?.nodeName ?? '') || !(p.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet')) continue;
        const reasons = waitingReasons(p).filter((r) => stuck.has(r));
        const manifest = snap.events.some((e) => e.involvedObject.name === p.metadata?.name && e.involvedObject.namespace === p.metadata?.namespace && /no matching manifest for windows/i.test(e.message ?? ''));
        if (reasons.length > 0 || manifest) {
          const owner = p.metadata?.ownerReferences?.find((o) => o.kind === 'DaemonSet')?.name;
          bad.push(`${p.metadata?.namespace}/${p.metadata?.name} (DaemonSet ${owner}) on ${p.spec?.nodeName}: ${[...reasons, ...(manifest ? ['no matching manifest for windows'] : [])].join(', ')}`);
        }
      }
      if (bad.length > 0) {
        return { status: 'fail', message: `${bad.length} DaemonSet pod(s) stuck on Windows nodes`, hint: 'add nodeSelector kubernetes.io/os: linux to Linux-only DaemonSets, or taint Windows nodes os=windows:NoSchedule', evidence: bad };
      }
      return { status: 'pass', message: 'no DaemonSet pod stuck on a Windows node' };
    },
  },
  {
    id: 'net.coredns',
    category: 'network',
    scope: 'cluster',
    title: 'CoreDNS has ready endpoints',
    dependsOn: [],
    fatal: false,
    docs: K8S_DOCS.dnsDebugging,
    run(snap) {
      const endpoints = snap.dnsSlices.flatMap((s) => s.endpoints ?? []);
      const ready = endpoints.filter((e) => e.conditions?.ready !== false);
      if (ready.length === 0) return { status: 'fail', message: `kube-system/kube-dns has no ready endpoint (${endpoints.length} not ready)`, hint: 'fix CoreDNS first (kubectl -n kube-system get pods -l k8s-app=kube-dns): Windows pods cannot resolve names without it' };
      return { status: 'pass', message: `${ready.length} ready endpoint(s): ${ready.flatMap((e) => e.addresses).join(', ')}` };
    },
  },
  {
    id: 'net.pod-cidr',
    category: 'network',
    scope: 'node',
    title: "pod IPs inside the node's podCIDR",
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.windowsDebug,
    run(snap, n) {
      if (snap.facts.cni.type !== 'flannel') return { status: 'skip', message: `only checked with flannel (CNI ${snap.facts.cni.type})` };
      const nd = node(n);
      const cidrs = nd.spec?.podCIDRs ?? (nd.spec?.podCIDR ? [nd.spec.podCIDR] : []);
      if (cidrs.length === 0) return { status: 'fail', message: 'the node has no spec.podCIDR', hint: 'flannel needs the controller manager to allocate node CIDRs (--allocate-node-cidrs, --cluster-cidr)' };
      const outside = podsOn(snap, nameOf(nd))
        .filter((p) => !p.spec?.hostNetwork && p.status?.podIP)
        .filter((p) => !cidrs.some((c) => inCidr(p.status?.podIP ?? '', c)))
        .map((p) => `${p.metadata?.namespace}/${p.metadata?.name} ${p.status?.podIP}`);
      if (outside.length > 0) {
        return { status: 'fail', message: `${outside.length} pod(s) outside ${cidrs.join(',')}`, hint: 'the CNI config is missing on the node, so pods landed on the default "nat" network: check C:\\etc\\cni\\net.d and the flannel pod, then recreate the pods', evidence: outside };
      }
      return { status: 'pass', message: `pod IPs inside ${cidrs.join(',')}` };
    },
  },
  {
    id: 'events.sandbox',
    category: 'events',
    scope: 'node',
    title: 'no FailedCreatePodSandBox events',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.windowsDebug,
    run(snap, n) {
      const name = nameOf(node(n));
      const onNode = new Set(podsOn(snap, name).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
      const since = Date.now() - RECENT_EVENT_MS;
      const events = snap.events.filter(
        (e) => e.reason === 'FailedCreatePodSandBox' && eventTime(e) >= since && (e.source?.host === name || onNode.has(`${e.involvedObject.namespace}/${e.involvedObject.name}`)),
      );
      if (events.length === 0) return { status: 'pass', message: `none in the last ${RECENT_EVENT_MS / 60_000} minutes` };
      const matched = SANDBOX_CAUSES.filter((c) => events.some((e) => c.pattern.test(e.message ?? '')));
      const evidence = events.slice(0, 5).map((e) => `${e.involvedObject.namespace}/${e.involvedObject.name}: ${e.message ?? ''}`);
      if (matched.length === 0) return { status: 'fail', message: `${events.length} FailedCreatePodSandBox event(s), cause not recognised`, hint: 'read the kubelet and containerd logs on the node', evidence };
      return { status: 'fail', message: `${events.length} FailedCreatePodSandBox event(s): ${matched.map((c) => c.cause).join('; ')}`, hint: matched.map((c) => c.hint).join(' | '), evidence };
    },
  },
  {
    id: 'net.flannel-config',
    category: 'network',
    scope: 'cluster',
    title: 'flannel VXLAN settings usable by Windows',
    dependsOn: [ROOT],
    fatal: false,
    docs: K8S_DOCS.flannelBackends,
    run(snap): CheckOutcome {
      const f = snap.facts.cni.flannel;
      if (snap.facts.cni.type !== 'flannel' || !f) return { status: 'skip', message: `CNI is ${snap.facts.cni.type}, not flannel` };
      const problems: string[] = [];
      if ((f.backendType ?? '').toLowerCase() !== 'vxlan') problems.push(`backend ${f.backendType ?? 'unset'} (Windows needs vxlan)`);
      if ((f.vni ?? 1) < 4096) problems.push(`VNI ${f.vni ?? '1 (default)'} < 4096`);
      if ((f.port ?? 8472) !== 4789) problems.push(`port ${f.port ?? '8472 (default)'} is not 4789`);
      if (problems.length > 0) {
        return { status: 'fail', message: problems.join('; '), hint: `set "Backend": {"Type": "vxlan", "VNI": 4096, "Port": 4789} in ${f.namespace}/kube-flannel-cfg net-conf.json and restart flannel`, evidence: problems };
      }
      return { status: 'pass', message: `vxlan VNI ${f.vni} port ${f.port}` };
    },
  },
];
