import type * as k8s from '@kubernetes/client-node';
import { evaluate } from '../compat/matrix.js';
import { sandboxImage } from '../compat/runtime.js';
import { compareVersions, k8sMinor } from '../compat/versions.js';
import { DEFAULT_WINDOWS_VERSION, WINDOWS_RELEASES, windowsReleaseForBuild } from '../compat/windows.js';
import { K8S_DOCS } from './docs.js';
import { quantityBytes } from './kubelet-proxy.js';
import { nodeBuild, onNodeCheck, withSection } from './node-host-checks.js';
import type { NodeReport } from './node-report.js';
import type { CheckDefinition, CheckOutcome, Snapshot } from './types.js';

/**
 * Checks of what the runtime says of itself through CRI: the node script's runtime section
 * (crictl against the endpoint the kubelet uses). The thresholds and rules name their sources.
 */

const CATEGORY = 'runtime';

const DOCS = {
  crictl: 'https://kubernetes.io/docs/tasks/debug/debug-cluster/crictl/',
  networkPlugins: 'https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins/',
  debugPod: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/',
  garbageCollection: 'https://kubernetes.io/docs/concepts/architecture/garbage-collection/',
} as const;

/**
 * The kubelet's defaults (KubeletConfiguration v1beta1), used when its /configz was not read:
 * image GC starts above 85% use and frees down to 80%; hard eviction at imagefs.available<15%.
 */
export const IMAGE_GC_HIGH_PERCENT = 85;
export const IMAGE_GC_LOW_PERCENT = 80;
export const IMAGEFS_EVICTION_AVAILABLE_PERCENT = 15;

/** Restarts from which an exited container is a crash loop (the kubelet's back-off is well under way by then). */
const CRASH_LOOP_RESTARTS = 3;

type Runtime = NonNullable<NodeReport['runtime']>;
type Answered = Runtime & { version: NonNullable<Runtime['version']> };

const OS_MISMATCH = /does not match the host operating system/i;

/** The runtime section, when crictl ran and the endpoint answered; otherwise why not, as a skip. */
function withCri(snap: Snapshot, n: k8s.V1Node | undefined, fn: (rt: Answered, report: NodeReport) => CheckOutcome): CheckOutcome {
  return withSection(snap, n, (r) => r.runtime, 'runtime', (rt, report) => {
    if (rt.skipped) return { status: 'skip', message: rt.skipped };
    if (rt.unreachable || !rt.version) return { status: 'skip', message: `the CRI endpoint ${rt.endpoint ?? '?'} did not answer (see node.runtime.endpoint)` };
    return fn(rt as Answered, report);
  });
}

const partError = (what: string, error: string): CheckOutcome => ({
  status: 'warn',
  message: `crictl could not read ${what}: ${error}`,
  hint: 'run the same crictl command on the node (C:\\k\\crictl.exe, with --runtime-endpoint set to the kubelet\'s) to see the full error',
});

const runtimeName = (rt: Answered) => `${rt.version.runtimeName ?? 'runtime'} ${rt.version.runtimeVersion ?? ''}`.trim();

// ---------------------------------------------------------------------------------------------
// Endpoint
// ---------------------------------------------------------------------------------------------

const ENDPOINT_SOURCE: Record<string, string> = {
  parameter: 'given to the script',
  kubelet: "the kubelet's --container-runtime-endpoint",
  environment: 'CONTAINER_RUNTIME_ENDPOINT',
  inferred: 'inferred from the installed runtime',
};

function endpointOutcome(rt: Runtime, n: k8s.V1Node | undefined): CheckOutcome {
  const source = ENDPOINT_SOURCE[rt.endpointSource ?? ''] ?? rt.endpointSource ?? 'unknown source';
  if (rt.skipped) {
    return { status: 'skip', message: rt.skipped, hint: 'put crictl (cri-tools, the release matching the Kubernetes minor) in C:\\k so diagnose can ask the runtime itself; win-k8s join installs it there' };
  }
  if (rt.unreachable || !rt.version) {
    const text = rt.unreachable ?? 'no version';
    const noV1 = /Unimplemented|unknown service runtime\.v1/i.test(text);
    return {
      status: 'fail',
      message: `${rt.endpoint} (${source}) did not answer: ${text}`,
      hint: noV1
        ? 'the runtime does not serve CRI v1, which the kubelet needs from Kubernetes 1.26: upgrade containerd to 1.7 or newer (or cri-dockerd to a current release)'
        : "the runtime is down or listens on another pipe: Get-Service containerd (cri-dockerd runs as a process or service of its own), then compare the pipe with the kubelet's --container-runtime-endpoint",
    };
  }
  const answered = rt as Answered;
  const name = answered.version.runtimeName ?? '';
  const nodeRuntime = /^([a-z]+):\/\//.exec(n?.status?.nodeInfo?.containerRuntimeVersion ?? '')?.[1];
  const message = `${runtimeName(answered)} answers on ${rt.endpoint} (CRI ${answered.version.runtimeApiVersion ?? '?'}; endpoint: ${source})`;
  if (nodeRuntime && name && nodeRuntime !== name) {
    return {
      status: 'warn',
      message: `${message}, but the node reports runtime ${nodeRuntime}`,
      hint: "the kubelet talks to another runtime than the one asked: read the kubelet's --container-runtime-endpoint and remove the runtime it does not use",
    };
  }
  return { status: 'pass', message };
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

/** Docker through CRI: cri-dockerd from Kubernetes 1.24, the kubelet's own dockershim before. */
const isDocker = (rt: Answered) => rt.version.runtimeName === 'docker';
const dockerShim = (rt: Runtime) => (/dockershim/i.test(rt.endpoint ?? '') ? "the kubelet's dockershim" : 'cri-dockerd');

function conditionsOutcome(rt: Answered, snap: Snapshot): CheckOutcome {
  if (rt.statusError) return partError('the runtime status (crictl info)', rt.statusError);
  const conditions = rt.conditions ?? [];
  const get = (type: string) => conditions.find((c) => c.type === type);
  const fails: string[] = [];
  const warns: string[] = [];
  const hints: string[] = [];
  const text = (c: { type: string; status: boolean; reason?: string | null; message?: string | null }) =>
    `${c.type}=${c.status}${c.reason ? ` reason:${c.reason}` : ''}${c.message ? ` message:${c.message}` : ''}`;
  const confDir = rt.cniConfDir || 'C:\\etc\\cni\\net.d';
  const agent = snap.facts.cni.type === 'flannel' ? 'flanneld' : snap.facts.cni.type === 'calico' ? 'calico-node' : 'the CNI agent';

  const runtimeReady = get('RuntimeReady');
  if (!runtimeReady) warns.push('the runtime reports no RuntimeReady condition');
  else if (!runtimeReady.status) {
    fails.push(text(runtimeReady));
    hints.push(
      isDocker(rt)
        ? `Docker does not answer ${dockerShim(rt)}: Get-Service docker, read the Application event log (source docker) and restart it`
        : 'the runtime is up but not ready: read its log (containerd: the Application event log or C:\\var\\log\\containerd) and restart it',
    );
  }
  const networkReady = get('NetworkReady');
  const cniLoad = rt.lastCniLoadStatus;
  if (!networkReady) warns.push('the runtime reports no NetworkReady condition');
  else if (!networkReady.status) {
    fails.push(text(networkReady));
    // cri-dockerd and dockershim report no CNI load status or config directory: theirs is a flag.
    hints.push(
      isDocker(rt)
        ? `the runtime has no usable CNI config: ${agent} writes it once it runs (check its pod or process and its log) into the directory ${dockerShim(rt)} reads (its --cni-conf-dir, ${confDir} unless set); pods without host networking cannot start until then`
        : `the runtime has no usable CNI config in ${confDir}: ${agent} writes it once it runs (check its pod or process and its log); containerd loads it as soon as it appears, and pods without host networking cannot start until then`,
    );
  }
  if (cniLoad && cniLoad !== 'OK') {
    if (networkReady?.status) {
      warns.push(`the last CNI config load failed: ${cniLoad}`);
      hints.push(`containerd kept the previous network config; fix the file in ${confDir} that it names`);
    } else {
      fails.push(`last CNI config load: ${cniLoad}`);
    }
  }
  for (const c of conditions) {
    if (c.status || c.type === 'RuntimeReady' || c.type === 'NetworkReady') continue;
    // containerd 1.7.? and 2.x add ContainerdHasNoDeprecationWarnings.
    warns.push(text(c));
    hints.push(c.type === 'ContainerdHasNoDeprecationWarnings' ? 'containerd uses settings a later release removes: `ctr deprecations list` on the node names them; update config.toml' : `the runtime reports ${c.type} false`);
  }
  const evidence = conditions.map(text).concat(cniLoad ? [`lastCNILoadStatus: ${cniLoad}`] : []);
  if (fails.length > 0) return { status: 'fail', message: fails.join('; '), hint: [...new Set(hints)].join(' | '), evidence };
  if (warns.length > 0) return { status: 'warn', message: warns.join('; '), ...(hints.length ? { hint: [...new Set(hints)].join(' | ') } : {}), evidence };
  return { status: 'pass', message: `${conditions.map((c) => c.type).join(', ')}${cniLoad ? `; CNI config loaded (${cniLoad})` : ''}` };
}

// ---------------------------------------------------------------------------------------------
// Sandboxes and containers
// ---------------------------------------------------------------------------------------------

/** The API's pod of that name on this node, unless it has finished or is being deleted. */
function livePod(snap: Snapshot, node: string, namespace: string | null | undefined, name: string | null | undefined): k8s.V1Pod | undefined {
  return snap.pods.find(
    (p) =>
      p.metadata?.namespace === namespace &&
      p.metadata?.name === name &&
      p.spec?.nodeName === node &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed' &&
      !p.metadata?.deletionTimestamp,
  );
}

function sandboxesOutcome(rt: Answered, snap: Snapshot, n: k8s.V1Node | undefined): CheckOutcome {
  if (rt.sandboxesError) return partError('the pod sandboxes (crictl pods)', rt.sandboxesError);
  const s = rt.sandboxes;
  if (!s) return { status: 'skip', message: 'the report lists no sandboxes' };
  const node = n?.metadata?.name ?? '';
  // A pod keeps its failed attempts' sandboxes: it is stuck only when none of them is ready.
  const stuck = new Map<string, number>();
  let leftovers = 0;
  for (const sb of s.notReady) {
    if (sb.podHasReadySandbox) continue;
    if (!livePod(snap, node, sb.namespace, sb.name)) {
      leftovers++;
      continue;
    }
    const key = `${sb.namespace}/${sb.name}`;
    stuck.set(key, Math.max(stuck.get(key) ?? 0, sb.attempt ?? 0));
  }
  const tail = leftovers > 0 ? `; ${leftovers} not-ready sandbox(es) of finished or deleted pods await the kubelet's cleanup` : '';
  if (stuck.size > 0) {
    const pods = [...stuck].map(([pod, attempt]) => `${pod} (attempt ${attempt})`);
    return {
      status: 'fail',
      message: `${stuck.size} pod(s) without a ready sandbox: ${pods.join(', ')}${tail}`,
      hint: 'the runtime cannot set up these pods: kubectl describe pod shows FailedCreatePodSandBox with the reason; the usual causes are the CNI (node.runtime.conditions) and the pause image (node.runtime.pause-image)',
      evidence: pods,
    };
  }
  return { status: 'pass', message: `${s.ready} of ${s.total} sandbox(es) ready${tail}` };
}

type Notable = NonNullable<Runtime['containers']>['notable'][number];

function containersOutcome(rt: Answered, snap: Snapshot, n: k8s.V1Node | undefined): CheckOutcome {
  if (rt.containersError) return partError('the containers (crictl ps -a)', rt.containersError);
  const c = rt.containers;
  if (!c) return { status: 'skip', message: 'the report lists no containers' };
  // The kubelet keeps the last dead instance of each container: one entry per pod and container.
  const latest = new Map<string, Notable>();
  for (const x of c.notable) {
    const key = `${x.podNamespace}/${x.podName}/${x.name}`;
    const seen = latest.get(key);
    if (!seen || (x.restartCount ?? 0) > (seen.restartCount ?? 0)) latest.set(key, x);
  }
  const describe = (x: Notable) => {
    const exit = x.state === 'CONTAINER_EXITED' ? `, last exit code ${x.exitCode ?? '?'}${x.reason ? ` (${x.reason})` : ''}${x.finishedAt ? ` at ${x.finishedAt}` : ''}` : '';
    return `pod ${x.podNamespace}/${x.podName} container ${x.name}: ${(x.state ?? '').replace(/^CONTAINER_/, '').toLowerCase()}, ${x.restartCount ?? 0} restart(s)${exit}${x.message ? `: ${x.message}` : ''}`;
  };
  const node = n?.metadata?.name ?? '';
  const crashLoops: Notable[] = [];
  const restarting: Notable[] = [];
  const unknown: Notable[] = [];
  for (const x of latest.values()) {
    const restarts = x.restartCount ?? 0;
    if (x.state === 'CONTAINER_UNKNOWN') unknown.push(x);
    else if (x.state === 'CONTAINER_EXITED' && x.exitCode !== 0 && restarts >= CRASH_LOOP_RESTARTS && livePod(snap, node, x.podNamespace, x.podName) !== undefined) crashLoops.push(x);
    else if (restarts >= CRASH_LOOP_RESTARTS || (x.state === 'CONTAINER_EXITED' && x.exitCode !== 0 && restarts > 0)) restarting.push(x);
  }
  const evidence = [...crashLoops, ...restarting, ...unknown].map(describe);
  if (crashLoops.length > 0) {
    // containerd's StartError; cri-dockerd and dockershim say ContainerCannotRun (dockerd's exit 128).
    const startErrors = crashLoops.filter((x) => x.reason === 'StartError' || x.reason === 'ContainerCannotRun');
    return {
      status: 'fail',
      message: `crash loop: ${crashLoops.map(describe).join('; ')}`,
      hint: [
        ...(crashLoops.length > startErrors.length ? ['read the last run\'s output: kubectl logs --previous -n <namespace> <pod> -c <container>; exit codes above 128 are signals or Windows NTSTATUS values'] : []),
        ...(startErrors.some((x) => OS_MISMATCH.test(x.message ?? '')) ? ["the image is built for another Windows build than the node's: use a tag matching the node (see node.runtime.image-os)"] : []),
        ...(startErrors.length > 0 ? [`${startErrors[0]!.reason} (exit 128): the runtime could not start the container at all; its message is the reason`] : []),
      ].join(' | '),
      evidence,
    };
  }
  if (restarting.length > 0 || unknown.length > 0) {
    return {
      status: 'warn',
      message: [...restarting.map(describe), ...unknown.map((x) => `${describe(x)} (the runtime lost track of it)`)].join('; '),
      hint: unknown.length > 0 && restarting.length === 0 ? 'containers in state unknown usually follow a runtime restart: restart the pod' : "kubectl logs --previous shows the last run's output",
      evidence,
    };
  }
  return { status: 'pass', message: `${c.running ?? 0} of ${c.total} container(s) running, none restarting` };
}

// ---------------------------------------------------------------------------------------------
// Images: the pause image and OS builds
// ---------------------------------------------------------------------------------------------

/** The build in an OCI os.version ("10.0.20348.2849"). */
function buildOf(osVersion: string | null | undefined): number | undefined {
  const m = /^10\.0\.(\d+)/.exec(osVersion ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether a process-isolated container of image build `image` runs on host build `host`, as
 * containerd decides (containerd/platforms, checkWindowsHostAndContainerCompat): before
 * Windows Server 2022 only the same build; from it, any build from the newest LTSC release
 * older than the host (on 2025: 2025's; on 2022: 2022's) up to the host's own. The LTSC builds
 * come from WINDOWS_RELEASES, so a new release needs no edit here.
 */
export function windowsBuildRuns(host: number, image: number): boolean {
  const first = WINDOWS_RELEASES['2022'].build;
  if (host < first) return host === image;
  const ltsc = Object.values(WINDOWS_RELEASES).map((r) => r.build).filter((b) => b >= first).sort((a, b) => b - a);
  const lowest = ltsc.find((b) => host > b) ?? first;
  return lowest <= image && image <= host;
}

/** containerd's built-in sandbox image per release line (internal/cri/config; 1.7: pkg/cri/config/config_windows.go). */
function containerdDefaultSandbox(version: string): string | undefined {
  try {
    if (compareVersions(version, '2.3.0') >= 0) return 'registry.k8s.io/pause:3.10.2';
    if (compareVersions(version, '2.2.0') >= 0) return 'registry.k8s.io/pause:3.10.1';
    if (compareVersions(version, '2.0.0') >= 0) return 'registry.k8s.io/pause:3.10';
    if (compareVersions(version, '1.7.0') >= 0) return 'registry.k8s.io/pause:3.8';
  } catch {
    return undefined;
  }
  return undefined;
}

const imageName = (i: { tags: string[]; id?: string | null }) => i.tags[0] ?? i.id ?? '?';

function pauseImageOutcome(rt: Answered, report: NodeReport, n: k8s.V1Node | undefined): CheckOutcome {
  if (rt.imagesError) return partError('the images (crictl images)', rt.imagesError);
  const docker = isDocker(rt);
  if (rt.version.runtimeName !== 'containerd' && !(docker && rt.sandboxImage)) {
    // cri-dockerd's verbose status names its sandbox image; dockershim's status has no such map.
    return { status: 'skip', message: `${runtimeName(rt)}: ${docker ? dockerShim(rt) : 'the runtime'} reports no sandbox image through CRI; the kubelet's (or cri-dockerd's) --pod-infra-container-image names it` };
  }
  const fromInfo = rt.sandboxImage;
  const fromConfig = !docker && report.containerd?.configFound ? report.containerd.sandboxImage : undefined;
  const fallback = docker ? undefined : containerdDefaultSandbox(rt.version.runtimeVersion ?? '');
  const wanted = fromInfo || fromConfig || fallback;
  const source = docker ? "cri-dockerd's --pod-infra-container-image" : fromInfo ? 'crictl info' : fromConfig ? (report.containerd?.configPath ?? 'config.toml') : "containerd's built-in default";
  if (!wanted) return { status: 'skip', message: `cannot tell which sandbox image ${runtimeName(rt)} uses` };
  const build = nodeBuild(report, n);
  const release = build === undefined ? undefined : windowsReleaseForBuild(build);
  const rightImage = release ? sandboxImage(release.version) : 'a pause image with a build for this node';
  const setIt = docker ? `start cri-dockerd with --pod-infra-container-image=${rightImage}` : `set the sandbox image to ${rightImage} in containerd's config.toml and Restart-Service containerd`;
  const image = (rt.images ?? []).find((i) => i.tags.includes(wanted));
  if (!image) {
    return {
      status: 'warn',
      message: `sandbox image ${wanted} (${source}) is not on the node`,
      hint: `${docker ? 'cri-dockerd' : 'containerd'} pulls it for the next pod; a node that cannot reach its registry fails every new pod until it can. Pull it now: crictl pull ${wanted}`,
    };
  }
  const imageBuild = buildOf(image.osVersion);
  if (build === undefined || imageBuild === undefined) return { status: 'pass', message: `sandbox image ${wanted} (${source}) is present; its OS build is not reported` };
  if (!windowsBuildRuns(build, imageBuild)) {
    return {
      status: 'fail',
      message: `sandbox image ${wanted} (${source}) is built for ${image.osVersion}, the node runs 10.0.${build}: every pod fails with "The container operating system does not match the host operating system"`,
      hint: `${setIt}, then remove the wrong image (crictl rmi ${wanted})`,
    };
  }
  return { status: 'pass', message: `sandbox image ${wanted} (${source}) is present, built for ${image.osVersion}` };
}

function imageOsOutcome(rt: Answered, report: NodeReport, n: k8s.V1Node | undefined): CheckOutcome {
  if (rt.imagesError) return partError('the images (crictl images)', rt.imagesError);
  const images = rt.images ?? [];
  const build = nodeBuild(report, n);
  if (build === undefined) return { status: 'skip', message: 'the node\'s Windows build is unknown' };
  if (images.length === 0) return { status: 'skip', message: 'no images on the node' };
  const known = images.filter((i) => buildOf(i.osVersion) !== undefined);
  if (known.length === 0) {
    // Docker's shims never copy the image's OsVersion into CRI: only Docker itself shows it.
    const where = isDocker(rt) ? ` (${dockerShim(rt)} does not pass Docker's OsVersion on; docker image inspect --format "{{.OsVersion}}" <image> shows it on the node)` : '';
    return { status: 'skip', message: `the runtime reports no image OS build${where}${rt.inspectImagesError ? `: ${rt.inspectImagesError}` : ''}` };
  }
  const notable = rt.containers?.notable ?? [];
  const otherBuild = known.filter((i) => !windowsBuildRuns(build, buildOf(i.osVersion) ?? 0));
  // Containers of such an image never start: the runtime records a StartError with HCS's reason.
  const failing = otherBuild.filter(
    (i) => i.usedBy === 'created' || notable.some((x) => i.tags.includes(x.image ?? '') && (x.state === 'CONTAINER_CREATED' || (x.reason === 'StartError' && OS_MISMATCH.test(x.message ?? '')))),
  );
  // Unused ones could not run here either; those whose containers run are HostProcess or
  // Hyper-V isolated, where the build does not matter.
  const unused = otherBuild.filter((i) => !i.usedBy);
  const line = (i: (typeof images)[number]) => `${imageName(i)}: ${i.osVersion}${i.usedBy ? ` (its containers: ${i.usedBy})` : ' (unused)'}`;
  const fixHint = `use a tag built for the node (Windows Server ${windowsReleaseForBuild(build)?.version ?? `build ${build}`}: ${windowsReleaseForBuild(build)?.imageTag ?? `10.0.${build}`}) or a multi-arch image, and remove the others (crictl rmi <image>)`;
  if (failing.length > 0) {
    return {
      status: 'fail',
      message: `${failing.length} image(s) built for another Windows build than the node's 10.0.${build}, with containers that cannot start ("The container operating system does not match the host operating system"): ${failing.map(imageName).join(', ')}`,
      hint: fixHint,
      evidence: [...failing, ...unused].map(line),
    };
  }
  if (unused.length > 0) {
    return { status: 'warn', message: `${unused.length} unused image(s) built for another Windows build than the node's 10.0.${build}: ${unused.map(imageName).join(', ')}`, hint: fixHint, evidence: unused.map(line) };
  }
  return { status: 'pass', message: `${known.length} image(s) with a known OS build, all runnable on 10.0.${build} (or run as HostProcess)` };
}

// ---------------------------------------------------------------------------------------------
// Image filesystem
// ---------------------------------------------------------------------------------------------

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** The kubelet's image GC and imagefs eviction thresholds: from its /configz when read, else its defaults. */
function imageFsThresholds(snap: Snapshot, n: k8s.V1Node | undefined): { gcHigh: number; gcLow: number; eviction?: { percent?: number; bytes?: number; text: string }; from: string } {
  const entry = snap.kubeletConfig?.get(n?.metadata?.name ?? '');
  if (!entry || !('doc' in entry)) {
    return { gcHigh: IMAGE_GC_HIGH_PERCENT, gcLow: IMAGE_GC_LOW_PERCENT, eviction: { percent: IMAGEFS_EVICTION_AVAILABLE_PERCENT, text: `${IMAGEFS_EVICTION_AVAILABLE_PERCENT}%` }, from: 'its default' };
  }
  const cfg = entry.doc;
  // /configz shows the effective configuration: an evictionHard without imagefs.available (or
  // none at all: it was set empty) has no such threshold.
  const text = cfg.evictionHard?.['imagefs.available'];
  const percent = text?.endsWith('%') ? Number(text.slice(0, -1)) : undefined;
  const bytes = text && percent === undefined ? quantityBytes(text) : undefined;
  return {
    gcHigh: cfg.imageGCHighThresholdPercent ?? IMAGE_GC_HIGH_PERCENT,
    gcLow: cfg.imageGCLowThresholdPercent ?? IMAGE_GC_LOW_PERCENT,
    ...(text && (percent !== undefined || bytes !== undefined) ? { eviction: { ...(percent !== undefined ? { percent } : {}), ...(bytes !== undefined ? { bytes } : {}), text } } : {}),
    from: "its /configz",
  };
}

function imageFsOutcome(rt: Answered, snap: Snapshot, n: k8s.V1Node | undefined): CheckOutcome {
  if (rt.imageFsError) return partError('the image filesystem (crictl imagefsinfo)', rt.imageFsError);
  const fs = rt.imageFs;
  if (!fs) return { status: 'skip', message: 'the report has no image filesystem' };
  const where = `${fs.mountpoint || 'the image filesystem'} (on ${fs.drive ?? '?'})`;
  if (typeof fs.freeBytes !== 'number' || typeof fs.sizeBytes !== 'number' || fs.sizeBytes <= 0) {
    return { status: 'warn', message: `cannot read the size of the volume holding ${where}`, hint: 'run Get-Volume on the node' };
  }
  const usedPct = (100 * (fs.sizeBytes - fs.freeBytes)) / fs.sizeBytes;
  const freePct = 100 - usedPct;
  const figures = `${where}: ${gib(fs.freeBytes)} free of ${gib(fs.sizeBytes)} (${usedPct.toFixed(0)}% used)${fs.usedBytes ? `, ${gib(fs.usedBytes)} in image layers` : ''}`;
  const free = 'remove unused images (crictl rmi --prune), old logs under C:\\var\\log, or grow the disk; Windows base layers are several GB per build';
  const t = imageFsThresholds(snap, n);
  const ev = t.eviction;
  if (ev && ((ev.percent !== undefined && freePct < ev.percent) || (ev.bytes !== undefined && fs.freeBytes < ev.bytes))) {
    return {
      status: 'fail',
      message: `${figures}: below the kubelet's eviction threshold imagefs.available<${ev.text} (${t.from}), so it reports DiskPressure, evicts pods and deletes unused images`,
      hint: free,
    };
  }
  // 100 turns image garbage collection off.
  if (t.gcHigh < 100 && usedPct >= t.gcLow) {
    return {
      status: 'warn',
      message: `${figures}: ${usedPct >= t.gcHigh ? 'past' : 'near'} the kubelet's image garbage collection threshold (imageGCHighThresholdPercent ${t.gcHigh}%, ${t.from}), above which it deletes unused images down to ${t.gcLow}%`,
      hint: free,
    };
  }
  return { status: 'pass', message: figures };
}

// ---------------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------------

function versionOutcome(rt: Answered, report: NodeReport, snap: Snapshot, n: k8s.V1Node | undefined): CheckOutcome {
  const kubelet = n?.status?.nodeInfo?.kubeletVersion || snap.serverVersion;
  let minor: number;
  try {
    minor = k8sMinor(kubelet.replace(/^v/, '').replace(/[-+].*$/, ''));
  } catch {
    return { status: 'skip', message: `cannot read the Kubernetes version ${kubelet}` };
  }
  const api = rt.version.runtimeApiVersion ?? '';
  const name = runtimeName(rt);
  // dockershim (and cri-dockerd before it reported CRI "v1") answers with Docker's Engine API
  // version plus ".0" (docker_service.go Version): a Docker version, not a CRI one.
  const dockerApi = isDocker(rt) && /^\d/.test(api);
  // The kubelet speaks only CRI v1 from 1.26 (v1alpha2 removed, kubernetes CHANGELOG-1.26).
  if (minor >= 26 && api !== 'v1' && !dockerApi) {
    return { status: 'fail', message: `${name} serves CRI ${api || '?'}; the kubelet ${kubelet} needs CRI v1`, hint: 'upgrade the runtime: containerd 1.7+ (or a current cri-dockerd)' };
  }
  if (rt.version.runtimeName !== 'containerd') {
    const apiText = dockerApi ? `Docker Engine API ${api.replace(/\.0$/, '')}, which ${dockerShim(rt)} reports in place of a CRI version` : `CRI ${api}`;
    return { status: 'pass', message: `${name} (${apiText}) for the kubelet ${kubelet}` };
  }
  const version = (rt.version.runtimeVersion ?? '').replace(/^v/, '').replace(/[+].*$/, '');
  const build = nodeBuild(report, n);
  let findings: ReturnType<typeof evaluate>['findings'];
  try {
    findings = evaluate({
      // The containerd rules read only the versions; the Windows version is a placeholder when unknown.
      windowsVersion: (build !== undefined ? windowsReleaseForBuild(build)?.version : undefined) ?? DEFAULT_WINDOWS_VERSION,
      kubernetesVersion: kubelet.replace(/^v/, '').replace(/[-+].*$/, ''),
      runtime: 'containerd',
      cni: 'none',
      hypervIsolation: false,
      containerdVersion: version,
    }).findings.filter((f) => f.rule.startsWith('containerd-') && f.severity !== 'info');
  } catch {
    return { status: 'warn', message: `cannot read the containerd version "${rt.version.runtimeVersion}"`, hint: 'run containerd --version on the node' };
  }
  const error = findings.find((f) => f.severity === 'error');
  const warning = findings.find((f) => f.severity === 'warning');
  const worst = error ?? warning;
  if (worst) {
    return {
      status: error ? 'fail' : 'warn',
      message: `${name} with the kubelet ${kubelet}: ${worst.message}`,
      hint: `upgrade containerd on the node to the line its Kubernetes minor lists (${worst.source})${worst.instead ? `; win-k8s join: ${worst.instead}` : ''}`,
      evidence: findings.map((f) => `${f.rule}: ${f.message}`),
    };
  }
  return { status: 'pass', message: `${name} (CRI ${api}) suits the kubelet ${kubelet}` };
}

// ---------------------------------------------------------------------------------------------

const check = (id: string, title: string, docs: string, run: CheckDefinition['run'], needs?: CheckDefinition['needs']): CheckDefinition => onNodeCheck(CATEGORY, id, title, docs, run, needs);

export const NODE_RUNTIME_CHECKS: CheckDefinition[] = [
  check('node.runtime.endpoint', 'the CRI endpoint answers crictl', DOCS.crictl, (snap, n) => withSection(snap, n, (r) => r.runtime, 'runtime', (rt) => endpointOutcome(rt, n))),
  check('node.runtime.conditions', 'runtime reports RuntimeReady and NetworkReady', DOCS.networkPlugins, (snap, n) => withCri(snap, n, (rt) => conditionsOutcome(rt, snap))),
  check('node.runtime.sandboxes', 'every pod on the node has a ready sandbox', DOCS.debugPod, (snap, n) => withCri(snap, n, (rt) => sandboxesOutcome(rt, snap, n))),
  check('node.runtime.containers', 'no container in a crash loop', DOCS.debugPod, (snap, n) => withCri(snap, n, (rt) => containersOutcome(rt, snap, n))),
  check('node.runtime.pause-image', "sandbox (pause) image present and built for the node's Windows build", K8S_DOCS.windowsIntro, (snap, n) => withCri(snap, n, (rt, r) => pauseImageOutcome(rt, r, n))),
  check('node.runtime.image-os', "images built for the node's Windows build", K8S_DOCS.windowsIntro, (snap, n) => withCri(snap, n, (rt, r) => imageOsOutcome(rt, r, n))),
  // The kubelet's own thresholds, when its /configz can be read through the API server.
  check('node.runtime.image-fs', "image filesystem below the kubelet's GC and eviction thresholds", DOCS.garbageCollection, (snap, n) => withCri(snap, n, (rt) => imageFsOutcome(rt, snap, n)), ['nodeReports', 'kubeletConfig']),
  check('node.runtime.version', 'runtime and CRI version suit the Kubernetes version', K8S_DOCS.containerRuntimes, (snap, n) => withCri(snap, n, (rt, r) => versionOutcome(rt, r, snap, n))),
];

