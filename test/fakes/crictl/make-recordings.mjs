/*
 * Writes test/fakes/crictl/recordings/: what crictl prints for each command the node script
 * runs, for two nodes. They are built, not captured: the shapes follow cri-tools' printers
 * (cmd/crictl/util.go: protobuf JSON for lists, outputStatusInfo before 1.31 and
 * outputStatusData from 1.31 for info/inspect/inspecti/imagefsinfo; `version` is text only),
 * the CRI v1 API (api.proto) and what containerd 1.7 and 2.0 put in them (internal/cri/server
 * status.go, version.go, container_start.go, images/image_status.go, imagefs_info.go).
 * Run: node test/fakes/crictl/make-recordings.mjs test/fakes/crictl/recordings
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
const ROOT = process.argv[2];
const hex = (s) => createHash('sha256').update(s).digest('hex');
// Go's json.Marshal of a map sorts keys; json.Indent then indents by two spaces.
const sortDeep = (v) => Array.isArray(v) ? v.map(sortDeep) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep(v[k])])) : v;
const indent = (v) => JSON.stringify(v, null, 2);
const NS = (iso) => String(BigInt(Date.parse(iso)) * 1000000n);

function write(dir, name, text) { mkdirSync(join(dir, ...name.split('/').slice(0, -1)), { recursive: true }); writeFileSync(join(dir, name), text.endsWith('\n') ? text : text + '\n'); }

function podSandbox(p) {
  return {
    id: hex(`sandbox/${p.ns}/${p.name}/${p.attempt}`),
    metadata: { name: p.name, uid: hex(`uid/${p.ns}/${p.name}`).slice(0, 8) + '-' + hex(`uid/${p.name}`).slice(0, 4) + '-4' + hex(p.ns).slice(0, 3) + '-8' + hex(p.name).slice(0, 3) + '-' + hex(p.ns + p.name).slice(0, 12), namespace: p.ns, attempt: p.attempt },
    state: p.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
    createdAt: NS(p.created),
    labels: sortDeep({ 'io.kubernetes.pod.name': p.name, 'io.kubernetes.pod.namespace': p.ns, 'io.kubernetes.pod.uid': 'x', ...(p.labels ?? {}) }),
    annotations: sortDeep({ 'kubernetes.io/config.seen': p.created, 'kubernetes.io/config.source': 'api' }),
    runtimeHandler: '',
  };
}

let OLD = false;
function container(c, images) {
  const img = images.find((i) => i.tags.includes(c.image));
  const r = {
    id: hex(`ctr/${c.ns}/${c.pod}/${c.name}/${c.restarts}`),
    podSandboxId: hex(`sandbox/${c.ns}/${c.pod}/${c.sandboxAttempt ?? 0}`),
    metadata: { name: c.name, attempt: c.restarts },
    image: { image: `sha256:${img.id}`, annotations: {}, userSpecifiedImage: '', runtimeHandler: '' },
    imageRef: `sha256:${img.id}`,
    state: c.state,
    createdAt: NS(c.created),
    labels: sortDeep({ 'io.kubernetes.container.name': c.name, 'io.kubernetes.pod.name': c.pod, 'io.kubernetes.pod.namespace': c.ns, 'io.kubernetes.pod.uid': 'x' }),
    annotations: sortDeep({ 'io.kubernetes.container.hash': 'a1b2c3d4', 'io.kubernetes.container.restartCount': String(c.restarts), 'io.kubernetes.container.terminationMessagePath': '/dev/termination-log', 'io.kubernetes.container.terminationMessagePolicy': 'File', 'io.kubernetes.pod.terminationGracePeriod': '30' }),
    imageId: `sha256:${img.id}`,
  };
  // Fields the CRI API gained after crictl 1.28's (userSpecifiedImage, runtimeHandler, imageId).
  if (OLD) { delete r.imageId; r.image = { image: r.image.image, annotations: {} }; }
  return r;
}

function containerStatus(c, images) {
  const l = container(c, images);
  const exited = c.state === 'CONTAINER_EXITED';
  return {
    id: l.id, metadata: l.metadata, state: c.state,
    createdAt: c.created, startedAt: c.state === 'CONTAINER_CREATED' ? '0001-01-01T00:00:00Z' : (c.started ?? '1970-01-01T00:00:00Z'), finishedAt: exited ? c.finished : '0001-01-01T00:00:00Z',
    exitCode: c.exitCode ?? 0, image: l.image, imageRef: l.imageRef, reason: c.reason ?? '', message: c.message ?? '',
    labels: l.labels, annotations: l.annotations, mounts: [], logPath: `C:\\var\\log\\pods\\${c.ns}_${c.pod}_x\\${c.name}\\${c.restarts}.log`,
    resources: null, ...(OLD ? {} : { imageId: l.imageId, user: null, stopSignal: 'RUNTIME_DEFAULT' }),
  };
}

function imageRecord(i) {
  return { id: `sha256:${i.id}`, repoTags: i.tags, repoDigests: i.tags.map((t) => `${t.split(':')[0]}@sha256:${hex('digest' + t)}`), size: String(i.size), uid: null, username: '', spec: null, pinned: !!i.pinned };
}

function imageSpec(i) {
  return { created: '2026-10-14T18:02:11.4467132Z', architecture: 'amd64', os: 'windows', ...(i.osVersion ? { 'os.version': i.osVersion } : {}), config: { Env: ['PATH=C:\\Windows\\system32;C:\\Windows'], Cmd: ['c:\\windows\\system32\\cmd.exe'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${hex('layer' + i.id)}`] }, history: [{ created: '2026-10-14T18:02:11.4467132Z', created_by: 'Apply image 10.0' }] };
}

function recording(name, o) {
  OLD = o.crictlMinor < 31;
  const dir = join(ROOT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  write(dir, 'meta', `# ${o.about}\nserved_endpoint='${o.endpoint}'\ncrictl_minor=${o.crictlMinor}\n`);
  write(dir, 'version.txt', `Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  ${o.runtimeVersion}\nRuntimeApiVersion:  v1\n`);
  const conditions = o.conditions.map((c) => ({ type: c[0], status: c[1], reason: c[2] ?? '', message: c[3] ?? '' }));
  const newFormat = o.crictlMinor >= 31;
  let info;
  if (newFormat) {
    // crictl 1.31+ (outputStatusData): the whole document goes through a Go map, keys sorted.
    info = indent(sortDeep({ status: { conditions }, runtimeHandlers: o.runtimeHandlers, features: { supplementalGroupsPolicy: false }, config: o.config, golang: o.golang, cniconfig: o.cniconfig, lastCNILoadStatus: o.lastCNILoadStatus, 'lastCNILoadStatus.default': o.lastCNILoadStatus }));
  } else {
    // crictl before 1.31 (outputStatusInfo): "status" first in protobuf field order, then the info keys sorted.
    info = indent({ status: { conditions }, ...sortDeep({ config: o.config, golang: o.golang, cniconfig: o.cniconfig, lastCNILoadStatus: o.lastCNILoadStatus, 'lastCNILoadStatus.default': o.lastCNILoadStatus }) });
  }
  write(dir, 'info.json', info);
  write(dir, 'pods.json', indent({ items: o.pods.map(podSandbox) }));
  write(dir, 'ps.json', indent({ containers: o.containers.map((c) => container(c, o.images)) }));
  for (const c of o.containers) {
    const st = containerStatus(c, o.images);
    write(dir, `inspect/${st.id}.json`, indent({ status: st }));
  }
  write(dir, 'images.json', indent({ images: o.images.map(imageRecord) }));
  for (const i of o.images) write(dir, `inspecti/${i.id}.json`, indent(newFormat ? sortDeep({ status: imageRecord(i), info: { chainID: `sha256:${hex('chain' + i.id)}`, imageSpec: imageSpec(i) } }) : { status: imageRecord(i), info: sortDeep({ chainID: `sha256:${hex('chain' + i.id)}`, imageSpec: imageSpec(i) }) }));
  const fs = { timestamp: NS('2026-11-28T19:40:00Z'), fsId: { mountpoint: 'C:\\ProgramData\\containerd\\root\\io.containerd.snapshotter.v1.windows' }, usedBytes: { value: '0' }, inodesUsed: { value: '0' } };
  write(dir, 'imagefsinfo.json', o.crictlMinor >= 29 ? indent(sortDeep({ status: { imageFilesystems: [fs], containerFilesystems: [fs] } })) : indent({ status: fs }));
}

const cniconfig = (ok) => ({ PluginDirs: ['C:\\opt\\cni\\bin'], PluginConfDir: 'C:\\etc\\cni\\net.d', PluginMaxConfNum: 1, Prefix: 'eth', Networks: ok ? [{ Config: { Name: 'flannel.4096', CNIVersion: '0.3.0', Plugins: [{ Network: { type: 'flannel', ipam: {}, dns: {} }, Source: '{"type":"flannel","delegate":{"type":"win-overlay"}}' }], Source: '{"name":"flannel.4096","cniVersion":"0.3.0","plugins":[{"type":"flannel"}]}' }, IFName: 'eth0' }] : [] });
const runtimes = { 'runhcs-wcow-process': { runtimeType: 'io.containerd.runhcs.v1', runtimePath: '', PodAnnotations: null, ContainerAnnotations: null, options: null, privileged_without_host_devices: false, privileged_without_host_devices_all_devices_allowed: false, baseRuntimeSpec: '', cniConfDir: '', cniMaxConfNum: 0, snapshotter: '', sandboxer: 'podsandbox', io_type: '' } };

const now = '2026-11-28T19:10:00Z';
const healthyImages = [
  { id: hex('pause-3.10.1'), tags: ['registry.k8s.io/pause:3.10.1'], size: 129245871, pinned: true, osVersion: '10.0.20348.2849' },
  { id: hex('hostprocess'), tags: ['mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0'], size: 7290 },
  { id: hex('kube-proxy'), tags: ['sigwindowstools/kube-proxy:v1.33.2'], size: 44361122, osVersion: '10.0.17763.6659' },
  { id: hex('flannel'), tags: ['sigwindowstools/flannel:v0.26'], size: 39120881, osVersion: '10.0.17763.6659' },
  { id: hex('iis'), tags: ['mcr.microsoft.com/windows/servercore/iis:ltsc2022'], size: 2307881765, osVersion: '10.0.20348.2849' },
];
recording('containerd-2.0-healthy', {
  about: 'containerd 2.0.10 on Windows Server 2022 (10.0.20348), crictl 1.33: all Ready, flannel CNI loaded',
  endpoint: 'npipe:////./pipe/containerd-containerd', crictlVersion: '1.33.0', crictlMinor: 33, runtimeVersion: 'v2.0.10',
  conditions: [['RuntimeReady', true], ['NetworkReady', true], ['ContainerdHasNoDeprecationWarnings', true]],
  runtimeHandlers: [{ name: '', features: { recursiveReadOnlyMounts: false, userNamespaces: false } }, { name: 'runhcs-wcow-process', features: { recursiveReadOnlyMounts: false, userNamespaces: false } }],
  golang: 'go1.23.12', lastCNILoadStatus: 'OK', cniconfig: cniconfig(true),
  config: { containerd: { defaultRuntimeName: 'runhcs-wcow-process', runtimes, ignoreBlockIONotEnabledErrors: false, ignoreRdtNotEnabledErrors: false }, cni: { binDir: 'C:\\opt\\cni\\bin', confDir: 'C:\\etc\\cni\\net.d', maxConfNum: 1, setupSerially: false, confTemplate: '', ipPref: '', useInternalLoopback: false }, enableSelinux: false, selinuxCategoryRange: 0, maxContainerLogSize: 16384, enableCDI: false, cdiSpecDirs: [], drainExecSyncIOTimeout: '0s', ignoreDeprecationWarnings: null, containerdRootDir: 'C:\\ProgramData\\containerd\\root', containerdEndpoint: '\\\\.\\pipe\\containerd-containerd', rootDir: 'C:\\ProgramData\\containerd\\root\\io.containerd.grpc.v1.cri', stateDir: 'C:\\ProgramData\\containerd\\state\\io.containerd.grpc.v1.cri' },
  pods: [
    { ns: 'kube-system', name: 'kube-proxy-windows-win-1', attempt: 0, ready: true, created: '2026-11-28T18:01:00Z' },
    { ns: 'kube-flannel', name: 'kube-flannel-ds-windows-win-1', attempt: 0, ready: true, created: '2026-11-28T18:01:00Z' },
    { ns: 'default', name: 'web-win-1', attempt: 0, ready: true, created: '2026-11-28T18:05:00Z' },
    // A finished Job's pod, deleted from the API since: its sandbox stays until the kubelet's GC.
    { ns: 'default', name: 'migrate-db-7xk2p', attempt: 0, ready: false, created: '2026-11-28T18:02:00Z' },
  ],
  images: healthyImages,
  containers: [
    { ns: 'kube-system', pod: 'kube-proxy-windows-win-1', name: 'kube-proxy', image: 'sigwindowstools/kube-proxy:v1.33.2', state: 'CONTAINER_RUNNING', restarts: 0, created: '2026-11-28T18:01:10Z' },
    { ns: 'kube-flannel', pod: 'kube-flannel-ds-windows-win-1', name: 'kube-flannel', image: 'sigwindowstools/flannel:v0.26', state: 'CONTAINER_RUNNING', restarts: 1, created: '2026-11-28T18:03:10Z' },
    { ns: 'default', pod: 'web-win-1', name: 'web', image: 'mcr.microsoft.com/windows/servercore/iis:ltsc2022', state: 'CONTAINER_RUNNING', restarts: 0, created: '2026-11-28T18:06:10Z' },
    { ns: 'default', pod: 'migrate-db-7xk2p', name: 'migrate', image: 'mcr.microsoft.com/windows/servercore/iis:ltsc2022', state: 'CONTAINER_EXITED', restarts: 0, exitCode: 0, reason: 'Completed', created: '2026-11-28T18:02:10Z', started: '2026-11-28T18:02:11Z', finished: '2026-11-28T18:04:00Z' },
  ],
});

const brokenImages = [
  { id: hex('pause-mirror-ltsc2019'), tags: ['mirror.example.com/pause:3.9-ltsc2019'], size: 121004512, osVersion: '10.0.17763.6659' },
  { id: hex('hostprocess'), tags: ['mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0'], size: 7290 },
  { id: hex('kube-proxy'), tags: ['sigwindowstools/kube-proxy:v1.28.15'], size: 44361122, osVersion: '10.0.17763.6659' },
  { id: hex('flannel'), tags: ['sigwindowstools/flannel:v0.26'], size: 39120881, osVersion: '10.0.17763.6659' },
  { id: hex('iis-ltsc2019'), tags: ['mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019'], size: 2201433112, osVersion: '10.0.17763.6659' },
  { id: hex('nanoserver-1809'), tags: ['mcr.microsoft.com/windows/nanoserver:1809'], size: 107001322, osVersion: '10.0.17763.6659' },
];
recording('containerd-1.7-broken', {
  about: 'containerd 1.7.27 on Windows Server 2022 (10.0.20348), crictl 1.28: no CNI config, flannel crash-looping, a pod without a sandbox, ltsc2019 images and pause image',
  endpoint: 'npipe:////./pipe/containerd-containerd', crictlVersion: '1.28.0', crictlMinor: 28, runtimeVersion: 'v1.7.27',
  conditions: [['RuntimeReady', true], ['NetworkReady', false, 'NetworkPluginNotReady', 'Network plugin returns error: cni plugin not initialized']],
  golang: 'go1.23.8', lastCNILoadStatus: 'cni config load failed: no network config found in C:\\etc\\cni\\net.d: cni plugin not initialized: failed to load cni config', cniconfig: cniconfig(false),
  config: { containerd: { snapshotter: 'windows', defaultRuntimeName: 'runhcs-wcow-process', defaultRuntime: { runtimeType: '', runtimePath: '', runtimeEngine: '', PodAnnotations: null, ContainerAnnotations: null, runtimeRoot: '', options: null, privileged_without_host_devices: false, privileged_without_host_devices_all_devices_allowed: false, baseRuntimeSpec: '', cniConfDir: '', cniMaxConfNum: 0, snapshotter: '', sandboxMode: '' }, untrustedWorkloadRuntime: { runtimeType: '', runtimePath: '', runtimeEngine: '', PodAnnotations: null, ContainerAnnotations: null, runtimeRoot: '', options: null, privileged_without_host_devices: false, privileged_without_host_devices_all_devices_allowed: false, baseRuntimeSpec: '', cniConfDir: '', cniMaxConfNum: 0, snapshotter: '', sandboxMode: '' }, runtimes: { 'runhcs-wcow-process': { runtimeType: 'io.containerd.runhcs.v1', runtimePath: '', runtimeEngine: '', PodAnnotations: null, ContainerAnnotations: null, runtimeRoot: '', options: null, privileged_without_host_devices: false, privileged_without_host_devices_all_devices_allowed: false, baseRuntimeSpec: '', cniConfDir: '', cniMaxConfNum: 0, snapshotter: '', sandboxMode: 'podsandbox' } }, noPivot: false, disableSnapshotAnnotations: false, discardUnpackedLayers: false, ignoreBlockIONotEnabledErrors: false, ignoreRdtNotEnabledErrors: false }, cni: { binDir: 'C:\\opt\\cni\\bin', confDir: 'C:\\etc\\cni\\net.d', maxConfNum: 1, setupSerially: false, confTemplate: '', ipPref: '' }, registry: { configPath: '', mirrors: null, configs: null, auths: null, headers: null }, imageDecryption: { keyModel: 'node' }, disableTCPService: true, streamServerAddress: '127.0.0.1', streamServerPort: '0', streamIdleTimeout: '4h0m0s', enableSelinux: false, selinuxCategoryRange: 0, sandboxImage: 'mirror.example.com/pause:3.9-ltsc2019', statsCollectPeriod: 10, systemdCgroup: false, enableTLSStreaming: false, x509KeyPairStreaming: { tlsCertFile: '', tlsKeyFile: '' }, maxContainerLogSize: 16384, disableCgroup: false, disableApparmor: false, restrictOOMScoreAdj: false, maxConcurrentDownloads: 3, disableProcMount: false, unsetSeccompProfile: '', tolerateMissingHugetlbController: false, disableHugetlbController: false, device_ownership_from_security_context: false, ignoreImageDefinedVolumes: false, netnsMountsUnderStateDir: false, enableUnprivilegedPorts: false, enableUnprivilegedICMP: false, enableCDI: false, cdiSpecDirs: null, imagePullProgressTimeout: '5m0s', drainExecSyncIOTimeout: '0s', imagePullWithSyncFs: false, ignoreDeprecationWarnings: null, containerdRootDir: 'C:\\ProgramData\\containerd\\root', containerdEndpoint: '\\\\.\\pipe\\containerd-containerd', rootDir: 'C:\\ProgramData\\containerd\\root\\io.containerd.grpc.v1.cri', stateDir: 'C:\\ProgramData\\containerd\\state\\io.containerd.grpc.v1.cri' },
  pods: [
    { ns: 'kube-system', name: 'kube-proxy-windows-win-1', attempt: 0, ready: true, created: '2026-11-28T18:01:00Z' },
    { ns: 'kube-flannel', name: 'kube-flannel-ds-windows-win-1', attempt: 0, ready: true, created: '2026-11-28T18:01:00Z' },
    { ns: 'default', name: 'legacy-app-5d9f7', attempt: 0, ready: true, created: '2026-11-28T17:55:00Z' },
    // The pod whose sandbox the CNI cannot set up: each attempt fails and leaves a NotReady sandbox.
    { ns: 'default', name: 'web-win-1', attempt: 3, ready: false, created: '2026-11-28T19:30:00Z' },
    { ns: 'default', name: 'web-win-1', attempt: 4, ready: false, created: '2026-11-28T19:36:00Z' },
  ],
  images: brokenImages,
  containers: [
    { ns: 'kube-system', pod: 'kube-proxy-windows-win-1', name: 'kube-proxy', image: 'sigwindowstools/kube-proxy:v1.28.15', state: 'CONTAINER_RUNNING', restarts: 0, created: '2026-11-28T18:01:10Z' },
    { ns: 'kube-flannel', pod: 'kube-flannel-ds-windows-win-1', name: 'kube-flannel', image: 'sigwindowstools/flannel:v0.26', state: 'CONTAINER_EXITED', restarts: 7, exitCode: 1, reason: 'Error', message: '', created: '2026-11-28T19:38:00Z', started: '2026-11-28T19:38:01Z', finished: '2026-11-28T19:38:04Z' },
    // Built for Windows Server 2019: the start fails in HCS, containerd records a StartError (exit 128) and the kubelet retries.
    { ns: 'default', pod: 'legacy-app-5d9f7', name: 'app', image: 'mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019', state: 'CONTAINER_EXITED', restarts: 5, exitCode: 128, reason: 'StartError', message: 'failed to create containerd task: failed to create shim task: hcs::CreateComputeSystem 9c1f2b7e0d4a: The container operating system does not match the host operating system.: unknown', created: '2026-11-28T19:41:10Z', finished: '2026-11-28T19:41:11Z' },
  ],
});

/*
 * Docker through CRI: cri-dockerd (Kubernetes 1.24+) and the kubelet's dockershim (before 1.24).
 * crictl prints the same CRI messages; what differs is what Docker's shim puts in them (cri-dockerd
 * core/docker_service.go Version/Status, convert.go, container_status.go, imagefs_windows.go;
 * dockershim the same code in kubelet 1.23):
 * - version: RuntimeName docker, RuntimeVersion Docker's; RuntimeApiVersion "v1" from cri-dockerd,
 *   but Docker's Engine API version with ".0" appended from dockershim ("1.41.0");
 * - info: only RuntimeReady/NetworkReady ("docker: network plugin is not ready: ..."); cri-dockerd's
 *   verbose status adds config.sandboxImage and nothing else (no lastCNILoadStatus, no cniconfig);
 *   dockershim's has no info at all;
 * - ps: image.image is the name Docker lists, imageRef the image id; inspect's imageRef is
 *   docker-pullable://<digest>, and a start that failed is CONTAINER_EXITED with reason
 *   ContainerCannotRun (exit 128 from dockerd) and Docker's error as the message;
 * - inspecti: cri-dockerd's verbose image info is {labels, imageSpec} without os.version (Docker's
 *   OsVersion is not copied); dockershim has none;
 * - imagefsinfo: one image filesystem, Docker's root dir, usedBytes from the volume's usage.
 */
function dockerRecording(name, o) {
  OLD = o.crictlMinor < 31;
  const dir = join(ROOT, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  write(dir, 'meta', `# ${o.about}\nserved_endpoint='${o.endpoint}'\ncrictl_minor=${o.crictlMinor}\n`);
  write(dir, 'version.txt', `Version:  0.1.0\nRuntimeName:  docker\nRuntimeVersion:  ${o.dockerVersion}\nRuntimeApiVersion:  ${o.apiVersion}\n`);
  const conditions = o.conditions.map((c) => ({ type: c[0], status: c[1], reason: c[2] ?? '', message: c[3] ?? '' }));
  write(dir, 'info.json', indent({ status: { conditions }, ...(o.sandboxImage ? { config: { sandboxImage: o.sandboxImage } } : {}) }));
  write(dir, 'pods.json', indent({ items: o.pods.map((p) => ({ ...podSandbox(p), runtimeHandler: '' })) }));
  const img = (c) => o.images.find((i) => i.tags.includes(c.image));
  const listed = (c) => {
    const l = container(c, o.images);
    return { ...l, image: { image: c.image, annotations: {} }, imageRef: `sha256:${img(c).id}`, createdAt: String(BigInt(Date.parse(c.created) / 1000) * 1000000000n) };
  };
  write(dir, 'ps.json', indent({ containers: o.containers.map((c) => { const l = listed(c); delete l.imageId; return l; }) }));
  for (const c of o.containers) {
    const st = containerStatus(c, o.images);
    const i = img(c);
    const pullable = i.tags[0] && !i.local ? `docker-pullable://${i.tags[0].split(':')[0]}@sha256:${hex('digest' + i.tags[0])}` : `docker://sha256:${i.id}`;
    const doc = { ...st, image: { image: c.image, annotations: {} }, imageRef: pullable };
    delete doc.imageId;
    write(dir, `inspect/${st.id}.json`, indent({ status: doc }));
  }
  const record = (i) => ({ ...imageRecord(i), repoDigests: i.local ? [] : imageRecord(i).repoDigests });
  write(dir, 'images.json', indent({ images: o.images.map(record) }));
  for (const i of o.images) {
    const spec = imageSpec({ ...i, osVersion: undefined });
    // crictl prints each info key at the top level: cri-dockerd's one key is "info", as containerd's.
    write(dir, `inspecti/${i.id}.json`, indent(o.verboseImages ? { status: record(i), info: { imageSpec: spec } } : { status: record(i) }));
  }
  const fs = { timestamp: NS('2026-11-28T19:40:00Z'), fsId: { mountpoint: 'C:\\ProgramData\\docker' }, usedBytes: { value: String(o.imageFsUsed) }, inodesUsed: null };
  write(dir, 'imagefsinfo.json', o.crictlMinor >= 29 ? indent({ status: { imageFilesystems: [fs], containerFilesystems: [] } }) : indent({ status: fs }));
}

const ltsc2019Images = [
  { id: hex('pause-3.9-docker'), tags: ['mcr.microsoft.com/oss/kubernetes/pause:3.9'], size: 119734515, pinned: true },
  { id: hex('flannel-docker'), tags: ['sigwindowstools/flannel:v0.26'], size: 39120881 },
  { id: hex('iis-ltsc2019-docker'), tags: ['mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019'], size: 5214566034 },
];
dockerRecording('cri-dockerd-0.3-healthy', {
  about: 'cri-dockerd 0.3 with Docker 24.0.7 on Windows Server 2019 (10.0.17763), crictl 1.29, Kubernetes 1.29: all Ready',
  endpoint: 'npipe:////./pipe/cri-dockerd', crictlMinor: 29, dockerVersion: '24.0.7', apiVersion: 'v1',
  conditions: [['RuntimeReady', true], ['NetworkReady', true]],
  sandboxImage: 'mcr.microsoft.com/oss/kubernetes/pause:3.9', verboseImages: true, imageFsUsed: 6918124544,
  pods: [
    { ns: 'kube-flannel', name: 'kube-flannel-ds-windows-win-1', attempt: 0, ready: true, created: '2026-11-28T18:01:00Z' },
    { ns: 'default', name: 'web-win-1', attempt: 0, ready: true, created: '2026-11-28T18:05:00Z' },
  ],
  images: ltsc2019Images,
  containers: [
    { ns: 'kube-flannel', pod: 'kube-flannel-ds-windows-win-1', name: 'kube-flannel', image: 'sigwindowstools/flannel:v0.26', state: 'CONTAINER_RUNNING', restarts: 0, created: '2026-11-28T18:01:10Z' },
    { ns: 'default', pod: 'web-win-1', name: 'web', image: 'mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019', state: 'CONTAINER_RUNNING', restarts: 0, created: '2026-11-28T18:06:10Z' },
  ],
});

dockerRecording('dockershim-1.23-broken', {
  about: "the kubelet 1.23's dockershim with Docker 20.10.9 on Windows Server 2019 (10.0.17763), crictl 1.23: no CNI config, an ltsc2022 image that cannot run, flannel crash-looping",
  endpoint: 'npipe:////./pipe/dockershim', crictlMinor: 23, dockerVersion: '20.10.9', apiVersion: '1.41.0',
  conditions: [['RuntimeReady', true], ['NetworkReady', false, 'NetworkPluginNotReady', 'docker: network plugin is not ready: cni config uninitialized']],
  verboseImages: false, imageFsUsed: 12884901888,
  pods: [
    { ns: 'kube-flannel', name: 'kube-flannel-ds-windows-win-1', attempt: 0, ready: true, created: '2026-11-28T18:01:00Z' },
    { ns: 'default', name: 'app-2022-6c9d', attempt: 0, ready: true, created: '2026-11-28T19:20:00Z' },
  ],
  images: [
    ...ltsc2019Images.map((i) => ({ ...i, pinned: false })),
    { id: hex('servercore-ltsc2022-docker'), tags: ['mcr.microsoft.com/windows/servercore:ltsc2022'], size: 4996524611 },
  ],
  containers: [
    { ns: 'kube-flannel', pod: 'kube-flannel-ds-windows-win-1', name: 'kube-flannel', image: 'sigwindowstools/flannel:v0.26', state: 'CONTAINER_EXITED', restarts: 6, exitCode: 1, reason: 'Error', message: '', created: '2026-11-28T19:38:00Z', started: '2026-11-28T19:38:01Z', finished: '2026-11-28T19:38:04Z' },
    // dockerd could not start it (HCS refuses an image of a newer build): exit 128, no finish time, so ContainerCannotRun.
    { ns: 'default', pod: 'app-2022-6c9d', name: 'app', image: 'mcr.microsoft.com/windows/servercore:ltsc2022', state: 'CONTAINER_EXITED', restarts: 4, exitCode: 128, reason: 'ContainerCannotRun', message: 'hcsshim::CreateComputeSystem 7e51d2c84f0a: The container operating system does not match the host operating system.', created: '2026-11-28T19:41:10Z', started: '2026-11-28T19:41:10Z', finished: '2026-11-28T19:41:10Z' },
  ],
});
