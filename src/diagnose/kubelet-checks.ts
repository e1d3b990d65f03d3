import type * as k8s from '@kubernetes/client-node';
import { K8S_DOCS } from './docs.js';
import { quantityBytes, type KubeletConfig, type KubeletDocument, type KubeletSummary } from './kubelet-proxy.js';
import type { CheckDefinition, CheckOutcome, Snapshot } from './types.js';

/**
 * The kubelet's own view, read through the API server's node proxy (no pod, so on every cluster
 * flavour, managed ones included): its effective configuration (/configz) judged for Windows,
 * and the filesystem and memory numbers its eviction manager decides on (/stats/summary).
 */

const CATEGORY = 'kubelet';
const ROOT = 'cluster.windows-nodes';
const nameOf = (n: k8s.V1Node | undefined): string => n?.metadata?.name ?? '?';
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;
const pct = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : 0);

/** The kubelet's default hard thresholds: they apply only when evictionHard is not set at all. */
const DEFAULT_EVICTION_HARD: Record<string, string> = { 'memory.available': '100Mi', 'nodefs.available': '10%', 'imagefs.available': '15%' };

/**
 * Signals a Windows kubelet never observes, so a threshold on them never fires: NTFS has no
 * inodes (the Windows stats leave the inode counters unset), and the kubelet reports no PID
 * pressure on Windows (kubernetes.io, Windows containers in Kubernetes: kubelet compatibility).
 */
const NEVER_ON_WINDOWS: Record<string, string> = {
  'nodefs.inodesFree': 'NTFS has no inodes',
  'imagefs.inodesFree': 'NTFS has no inodes',
  'containerfs.inodesFree': 'NTFS has no inodes',
  'pid.available': 'the Windows kubelet never reports PIDPressure',
};

/** The Kubernetes docs recommend reserving at least 2 GiB for Windows, Kubernetes and the runtime. */
const RECOMMENDED_RESERVED = 2 * 1024 ** 3;
/**
 * Below this (the 4 GiB class: t3.medium, B2s, e2-medium), Windows Server's own share of memory
 * is so large that pods scheduled into it make the node page. An 8 GiB VM reports a little
 * under 8 GiB of capacity, so the line sits between the two classes.
 */
const SMALL_VM = 6 * 1024 ** 3;

/** Percentage points of use below a disk threshold that count as close to it. */
const APPROACH = 10;

type DocOrOutcome<T> = { doc: T } | { outcome: CheckOutcome };

/** A kubelet document for this node, or the outcome that says why there is none. */
function documentFor<T>(map: Map<string, KubeletDocument<T>> | undefined, n: k8s.V1Node | undefined, path: string): DocOrOutcome<T> {
  if (!map) return { outcome: { status: 'skip', message: `the kubelet's /${path} was not read` } };
  const entry = map.get(nameOf(n));
  if (!entry) return { outcome: { status: 'skip', message: `no /${path} for ${nameOf(n)}` } };
  if ('doc' in entry) return { doc: entry.doc };
  if (entry.status === 403) {
    // The kubelet's own refusal names the API server's client; the API server's names the user.
    const kubeletSide = /Forbidden \(user=/.test(entry.error);
    return {
      outcome: {
        status: 'warn',
        message: `not allowed to read the kubelet's /${path}: ${entry.error}`,
        hint: kubeletSide
          ? "the kubelet refused the API server's kubelet client: bind the ClusterRole system:kubelet-api-admin to that user (kubeadm names it kube-apiserver-kubelet-client), or fix the kubelet's authorization webhook"
          : 'grant get on nodes/proxy to the user running diagnose (a ClusterRole with resources ["nodes/proxy"], verbs ["get"]), or run diagnose as cluster-admin',
      },
    };
  }
  if (entry.invalid) {
    return { outcome: { status: 'warn', message: `the kubelet answered /${path} with something else: ${entry.error}`, hint: 'a proxy or webhook between the API server and the kubelet may have answered instead; read it with kubectl get --raw /api/v1/nodes/<node>/proxy/' + path } };
  }
  return { outcome: { status: 'skip', message: `the kubelet could not be read through the API server (node.kubelet-reachable says why): ${entry.error}` } };
}

function withConfig(snap: Snapshot, n: k8s.V1Node | undefined, fn: (c: KubeletConfig, node: k8s.V1Node) => CheckOutcome): CheckOutcome {
  const r = documentFor(snap.kubeletConfig, n, 'configz');
  if ('outcome' in r) return r.outcome;
  return fn(r.doc, n!);
}

function withStats(snap: Snapshot, n: k8s.V1Node | undefined, fn: (s: KubeletSummary, c: KubeletConfig | undefined) => CheckOutcome): CheckOutcome {
  const r = documentFor(snap.kubeletStats, n, 'stats/summary');
  if ('outcome' in r) return r.outcome;
  // Thresholds come from /configz when it was readable; the kubelet's defaults otherwise.
  const c = snap.kubeletConfig?.get(nameOf(n));
  return fn(r.doc, c && 'doc' in c ? c.doc : undefined);
}

/**
 * The hard thresholds in effect. /configz shows them after defaulting, so an absent evictionHard
 * there was set empty on purpose (no hard threshold); only without /configz are the kubelet's
 * defaults assumed.
 */
function hardThresholds(c: KubeletConfig | undefined): Record<string, string> {
  return c ? (c.evictionHard ?? {}) : DEFAULT_EVICTION_HARD;
}

/** A threshold ("10%" of capacity, or a quantity) in bytes. */
function thresholdBytes(value: string | undefined, capacity: number): number | undefined {
  if (value === undefined) return undefined;
  const p = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (p) return (Number(p[1]) / 100) * capacity;
  return quantityBytes(value);
}

function cgroupsOutcome(c: KubeletConfig): CheckOutcome {
  const problems: string[] = [];
  if (c.cgroupsPerQOS === true) problems.push('cgroupsPerQOS is true');
  const enforced = (c.enforceNodeAllocatable ?? []).filter((l) => l !== 'none');
  if (enforced.length > 0) problems.push(`enforceNodeAllocatable is [${enforced.join(', ')}]`);
  if (problems.length > 0) {
    return {
      status: 'warn',
      message: `${problems.join('; ')}: Windows has no cgroups, so the kubelet cannot apply them (recent kubelets log and ignore them, older ones refuse to start) and nothing is enforced`,
      hint: 'set cgroupsPerQOS: false and enforceNodeAllocatable: [] in the kubelet configuration (or --cgroups-per-qos=false --enforce-node-allocatable="") and restart the kubelet; reserve memory with systemReserved instead',
      evidence: problems,
    };
  }
  return { status: 'pass', message: `cgroupsPerQOS ${c.cgroupsPerQOS ?? 'unset'}, enforceNodeAllocatable [${(c.enforceNodeAllocatable ?? []).join(', ')}]` };
}

function evictionOutcome(c: KubeletConfig): CheckOutcome {
  const dead: string[] = [];
  for (const [kind, map] of [['evictionHard', c.evictionHard], ['evictionSoft', c.evictionSoft]] as const) {
    for (const [signal, value] of Object.entries(map ?? {})) {
      const why = NEVER_ON_WINDOWS[signal];
      if (why) dead.push(`${kind} ${signal}<${value} (${why})`);
    }
  }
  const live = Object.entries(hardThresholds(c)).filter(([s]) => !NEVER_ON_WINDOWS[s]).map(([s, v]) => `${s}<${v}`);
  if (live.length === 0) {
    return {
      status: 'warn',
      message: `no hard eviction threshold that can fire on Windows${dead.length > 0 ? ` (only ${dead.join('; ')})` : ' (evictionHard is empty)'}: a full disk or exhausted memory stops the node instead of evicting pods`,
      hint: 'set evictionHard with memory.available, nodefs.available and imagefs.available (the kubelet defaults are 100Mi, 10% and 15%) and restart the kubelet',
      evidence: dead,
    };
  }
  if (dead.length > 0) {
    return {
      status: 'warn',
      message: `${dead.length} eviction threshold(s) can never fire on Windows: ${dead.join('; ')}`,
      hint: 'drop them from the kubelet configuration (they protect nothing here) and make sure memory.available, nodefs.available and imagefs.available are set instead',
      evidence: [...dead, `thresholds that can fire: ${live.join(', ') || 'none'}`],
    };
  }
  return { status: 'pass', message: `hard thresholds: ${live.join(', ') || 'none'}${c.evictionSoft && Object.keys(c.evictionSoft).length > 0 ? `; soft: ${Object.entries(c.evictionSoft).map(([s, v]) => `${s}<${v}`).join(', ')}` : ''}` };
}

function reservedOutcome(c: KubeletConfig, n: k8s.V1Node): CheckOutcome {
  const system = quantityBytes(c.systemReserved?.['memory'] ?? '0') ?? 0;
  const kube = quantityBytes(c.kubeReserved?.['memory'] ?? '0') ?? 0;
  const reserved = system + kube;
  const capacityText = n.status?.capacity?.['memory'];
  const capacity = capacityText ? quantityBytes(capacityText) : undefined;
  const what = `systemReserved memory ${c.systemReserved?.['memory'] ?? 'unset'}, kubeReserved memory ${c.kubeReserved?.['memory'] ?? 'unset'}`;
  if (reserved >= RECOMMENDED_RESERVED) return { status: 'pass', message: `${gib(reserved)} reserved (${what})` };
  const hint = 'set systemReserved: {memory: 2Gi} (and cpu, e.g. 500m) in the kubelet configuration, or --system-reserved=memory=2Gi, and restart the kubelet: Windows does not kill pods for memory, it pages, so pods scheduled into the memory Windows itself uses slow the whole node';
  if (capacity === undefined) return { status: 'skip', message: `${what}; the Node reports no memory capacity, so the VM's size is unknown` };
  if (capacity < SMALL_VM) {
    return { status: 'warn', message: `only ${gib(reserved)} reserved on a ${gib(capacity)} VM (${what}): the scheduler may hand pods the memory Windows, the kubelet and the runtime need`, hint };
  }
  return { status: 'pass', message: `${gib(reserved)} reserved on a ${gib(capacity)} VM (${what}); the docs recommend 2 GiB on Windows`, hint };
}

/** The named pipe of a CRI endpoint ("npipe:////./pipe/containerd-containerd" -> "containerd-containerd"). */
function pipeName(endpoint: string): string | undefined {
  return /^npipe:\/\/(?:\/\/)?\.\/pipe\/(.+)$/i.exec(endpoint.trim())?.[1]?.toLowerCase();
}

function runtimeEndpointOutcome(c: KubeletConfig, n: k8s.V1Node): CheckOutcome {
  const endpoint = c.containerRuntimeEndpoint ?? '';
  const runtime = n.status?.nodeInfo?.containerRuntimeVersion ?? '';
  const kubelet = /^v?1\.(\d+)/.exec(n.status?.nodeInfo?.kubeletVersion ?? '');
  const kind = /^([a-z]+):\/\//.exec(runtime)?.[1];
  if (!endpoint) return { status: 'skip', message: 'containerRuntimeEndpoint is not in /configz (a kubelet older than 1.27 takes it as a flag only)' };
  if (!/^npipe:/i.test(endpoint)) {
    return { status: 'fail', message: `containerRuntimeEndpoint ${endpoint} is not a named pipe: a Windows runtime listens on npipe://`, hint: 'point the kubelet at npipe:////./pipe/containerd-containerd (containerd) or npipe:////./pipe/cri-dockerd (cri-dockerd) and restart it' };
  }
  const pipe = pipeName(endpoint);
  const dockershim = kind === 'docker' && kubelet !== null && Number(kubelet[1]) < 24;
  const expected = kind === 'containerd' ? 'containerd-containerd' : kind === 'docker' && !dockershim ? 'cri-dockerd' : undefined;
  if (expected && pipe !== expected) {
    return {
      status: 'warn',
      message: `the node reports ${runtime}, but the kubelet talks to ${endpoint} (expected npipe:////./pipe/${expected})`,
      hint: `check which runtime serves ${endpoint}; for ${kind}, set containerRuntimeEndpoint: npipe:////./pipe/${expected} and restart the kubelet`,
    };
  }
  return { status: 'pass', message: `${endpoint} (${runtime || 'runtime unknown'})` };
}

function diskOutcome(s: KubeletSummary, c: KubeletConfig | undefined): CheckOutcome {
  const hard = hardThresholds(c);
  const gcHigh = c?.imageGCHighThresholdPercent ?? 85;
  const gcLow = c?.imageGCLowThresholdPercent ?? 80;
  const fails: string[] = [];
  const warns: string[] = [];
  const seen: string[] = [];
  const look = (what: string, fs: NonNullable<KubeletSummary['node']['fs']> | null | undefined, signal: string) => {
    if (!fs || typeof fs.capacityBytes !== 'number' || typeof fs.availableBytes !== 'number') return;
    const used = fs.usedBytes ?? fs.capacityBytes - fs.availableBytes;
    const usedPct = pct(fs.capacityBytes - fs.availableBytes, fs.capacityBytes);
    seen.push(`${what} ${usedPct.toFixed(0)}% used (${gib(used)} of ${gib(fs.capacityBytes)}, ${gib(fs.availableBytes)} free)`);
    const limit = thresholdBytes(hard[signal], fs.capacityBytes);
    if (limit !== undefined && fs.availableBytes < limit) {
      fails.push(`${what}: ${gib(fs.availableBytes)} free is below ${signal}<${hard[signal]}: the kubelet reports DiskPressure and evicts pods`);
      return;
    }
    // With the defaults, image GC (85% used) and eviction (15% free) start at the same point:
    // a disk within APPROACH points of either is one large Windows image pull away from both.
    const evictAtPct = limit === undefined ? 100 : 100 - pct(limit, fs.capacityBytes);
    const gcAt = signal === 'imagefs.available' ? gcHigh : 100;
    const first = Math.min(evictAtPct, gcAt);
    if (usedPct >= first - APPROACH) {
      const parts = [...(signal === 'imagefs.available' ? [`image GC at ${gcHigh}% used (it deletes unused images down to ${gcLow}%, and servercore layers of several GB are pulled again slowly)`] : []), ...(limit !== undefined ? [`eviction at ${signal}<${hard[signal]}`] : [])];
      warns.push(`${what}: ${usedPct.toFixed(0)}% used, close to ${parts.join(' and ')}`);
    }
  };
  look('node fs', s.node.fs, 'nodefs.available');
  look('image fs', s.node.runtime?.imageFs, 'imagefs.available');
  if (seen.length === 0) return { status: 'skip', message: 'the summary has no filesystem numbers' };
  const hint = 'free space on the node: remove unused images (crictl rmi --prune), old logs under C:\\var\\log, and exited containers; or grow the disk';
  if (fails.length > 0) return { status: 'fail', message: fails.join('; '), hint, evidence: seen };
  if (warns.length > 0) return { status: 'warn', message: warns.join('; '), hint, evidence: seen };
  return { status: 'pass', message: seen.join('; ') };
}

function memoryOutcome(s: KubeletSummary, c: KubeletConfig | undefined): CheckOutcome {
  const m = s.node.memory;
  if (!m || typeof m.availableBytes !== 'number' || typeof m.workingSetBytes !== 'number') return { status: 'skip', message: 'the summary has no node memory numbers' };
  // The kubelet's memory.available is capacity minus working set, so the two add up to capacity.
  const capacity = m.availableBytes + m.workingSetBytes;
  const signal = hardThresholds(c)['memory.available'];
  const limit = thresholdBytes(signal, capacity);
  const top = [...(s.pods ?? [])]
    .filter((p) => typeof p.memory?.workingSetBytes === 'number')
    .sort((a, b) => (b.memory?.workingSetBytes ?? 0) - (a.memory?.workingSetBytes ?? 0))
    .slice(0, 5)
    .map((p) => `${p.podRef.namespace}/${p.podRef.name} ${mib(p.memory?.workingSetBytes ?? 0)}`);
  const state = `${gib(m.availableBytes)} of ${gib(capacity)} available`;
  const evidence = top.length > 0 ? [`largest pods by working set: ${top.join(', ')}`] : [];
  const hint = 'move or shrink the largest pods (set memory limits, and requests equal to them), or give the node more memory; reserve memory for Windows with systemReserved';
  if (limit === undefined) return { status: 'pass', message: `${state}; no memory.available threshold is set`, evidence };
  if (m.availableBytes < limit) return { status: 'fail', message: `${state}, below memory.available<${signal}: the kubelet reports MemoryPressure and evicts pods`, hint, evidence };
  // Close: within a tenth of the node's memory of the threshold.
  if (m.availableBytes < limit + capacity / 10) return { status: 'warn', message: `${state}, within ${gib(m.availableBytes - limit)} of memory.available<${signal}`, hint, evidence };
  return { status: 'pass', message: `${state} (eviction at memory.available<${signal})`, evidence };
}

const configCheck = (id: string, title: string, docs: string, judge: (c: KubeletConfig, n: k8s.V1Node) => CheckOutcome): CheckDefinition => ({
  id,
  category: CATEGORY,
  scope: 'node',
  title,
  dependsOn: [ROOT],
  fatal: false,
  docs,
  needs: ['kubeletConfig'],
  run: (snap, n) => withConfig(snap, n, judge),
});

const statsCheck = (id: string, title: string, judge: (s: KubeletSummary, c: KubeletConfig | undefined) => CheckOutcome): CheckDefinition => ({
  id,
  category: CATEGORY,
  scope: 'node',
  title,
  dependsOn: [ROOT],
  fatal: false,
  docs: K8S_DOCS.nodePressure,
  // The thresholds are read from /configz too; without it the kubelet's defaults are assumed.
  needs: ['kubeletStats', 'kubeletConfig'],
  run: (snap, n) => withStats(snap, n, judge),
});

export const KUBELET_CHECKS: CheckDefinition[] = [
  configCheck('node.kubelet.cgroups', 'kubelet cgroup settings fit Windows (cgroupsPerQOS, enforceNodeAllocatable)', K8S_DOCS.windowsIntro, cgroupsOutcome),
  configCheck('node.kubelet.eviction', 'kubelet eviction thresholds can fire on Windows', K8S_DOCS.nodePressure, evictionOutcome),
  configCheck('node.kubelet.reserved', 'memory reserved for Windows and the kubelet on small VMs', K8S_DOCS.windowsResources, reservedOutcome),
  configCheck('node.kubelet.runtime-endpoint', "kubelet's containerRuntimeEndpoint matches the node's runtime", K8S_DOCS.containerRuntimes, runtimeEndpointOutcome),
  statsCheck('node.kubelet.disk', 'node and image filesystems clear of eviction and image GC thresholds', diskOutcome),
  statsCheck('node.kubelet.memory', 'node memory clear of the eviction threshold', memoryOutcome),
];
