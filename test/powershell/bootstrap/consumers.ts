import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';

/**
 * The programs that read what the bootstrap writes, reduced to what they accept: the keys each
 * containerd version knows, the fields of kubeadm's JoinConfiguration per apiVersion, the
 * fields of the CNI plugins' configs, and the kubelet and kube-proxy flags per Kubernetes
 * version. Written from the upstream sources (named on each table), not from win-k8s's code,
 * so a key or flag win-k8s gets wrong fails here as it would on the node.
 */

const minorOf = (v: string) => Number(v.split('.')[1]);
const cmp = (a: string, b: string) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** Files Go programs read: no byte order mark, no UTF-16. */
export function assertPlainUtf8(name: string, bytes: Buffer): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw new Error(`${name} starts with a UTF-8 byte order mark`);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) throw new Error(`${name} is UTF-16`);
  const text = bytes.toString('utf8');
  if (text.includes('\u0000')) throw new Error(`${name} holds NUL characters (UTF-16 without a BOM?)`);
  return text;
}

// ---------------------------------------------------------------------------------------------
// containerd config.toml
// ---------------------------------------------------------------------------------------------

/**
 * CniConfig toml tags: v1.7 pkg/cri/config/config.go; v2.0 internal/cri/config/config.go (only
 * bin_dir); v2.1+ adds bin_dirs (71f593d4a) and deprecates bin_dir.
 */
function cniKeys(version: string): string[] {
  const base = ['bin_dir', 'conf_dir', 'max_conf_num', 'setup_serially', 'conf_template', 'ip_pref'];
  if (cmp(version, '2.0.0') < 0) return base;
  if (cmp(version, '2.1.0') < 0) return [...base, 'use_internal_loopback'];
  return [...base, 'use_internal_loopback', 'bin_dirs'];
}

/** Runtime toml tags: v1.7.34, v2.0.0, v2.2.0 (cgroup_writable). */
function runtimeKeys(version: string): string[] {
  if (cmp(version, '2.0.0') < 0) {
    return ['runtime_type', 'runtime_path', 'runtime_engine', 'pod_annotations', 'container_annotations', 'runtime_root', 'options', 'privileged_without_host_devices', 'privileged_without_host_devices_all_devices_allowed', 'base_runtime_spec', 'cni_conf_dir', 'cni_max_conf_num', 'snapshotter', 'sandbox_mode'];
  }
  const v2 = ['runtime_type', 'runtime_path', 'pod_annotations', 'container_annotations', 'options', 'privileged_without_host_devices', 'privileged_without_host_devices_all_devices_allowed', 'base_runtime_spec', 'cni_conf_dir', 'cni_max_conf_num', 'snapshotter', 'sandboxer', 'io_type'];
  return cmp(version, '2.2.0') < 0 ? v2 : [...v2, 'cgroup_writable'];
}

type Table = Record<string, unknown>;
const table = (t: unknown, path: string): Table => {
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw new Error(`containerd config: ${path} is not a table`);
  return t as Table;
};
const onlyKeys = (t: Table, allowed: string[], path: string) => {
  for (const k of Object.keys(t)) if (!allowed.includes(k)) throw new Error(`containerd config: ${path}.${k} is not a key containerd knows here (containerd ignores it with a warning)`);
};

export interface ContainerdConfigFacts {
  cniBinDirs: string[];
  cniConfDir: string;
  sandboxImage: string;
  defaultRuntime: string;
  runtimes: Record<string, { runtime_type: string; options?: Table }>;
}

/**
 * Reads config.toml as containerd <version> does: config version 2 (1.x) or 3 (2.x), the CRI
 * plugin ids of that version, and only keys that version knows where a wrong one is silently
 * ignored (the CNI folders, runtimes).
 */
export function judgeContainerdConfig(text: string, version: string): ContainerdConfigFacts {
  const doc = parseToml(text) as Table;
  const v2x = cmp(version, '2.0.0') >= 0;
  if (doc.version !== (v2x ? 3 : 2)) throw new Error(`containerd ${version} expects config version ${v2x ? 3 : 2}, got ${String(doc.version)}`);
  const grpc = table(doc.grpc, 'grpc');
  if (grpc.address !== '\\\\.\\pipe\\containerd-containerd') throw new Error(`grpc.address is ${String(grpc.address)}`);
  const plugins = table(doc.plugins, 'plugins');
  let cni: Table;
  let ctd: Table;
  let sandboxImage: unknown;
  if (v2x) {
    const images = table(plugins['io.containerd.cri.v1.images'], 'plugins."io.containerd.cri.v1.images"');
    sandboxImage = table(images.pinned_images, 'pinned_images').sandbox;
    const runtime = table(plugins['io.containerd.cri.v1.runtime'], 'plugins."io.containerd.cri.v1.runtime"');
    cni = table(runtime.cni, 'cni');
    ctd = table(runtime.containerd, 'containerd');
    if (plugins['io.containerd.grpc.v1.cri']) throw new Error('a version 3 config must not use the 1.x plugin id io.containerd.grpc.v1.cri');
  } else {
    const cri = table(plugins['io.containerd.grpc.v1.cri'], 'plugins."io.containerd.grpc.v1.cri"');
    sandboxImage = cri.sandbox_image;
    cni = table(cri.cni, 'cni');
    ctd = table(cri.containerd, 'containerd');
  }
  onlyKeys(cni, cniKeys(version), 'cni');
  if (cni.bin_dir !== undefined && cni.bin_dirs !== undefined) throw new Error('cni.bin_dir and cni.bin_dirs cannot be set at the same time');
  const binDirs = cni.bin_dirs !== undefined ? (cni.bin_dirs as string[]) : [cni.bin_dir as string];
  if (binDirs.some((d) => typeof d !== 'string' || !d)) throw new Error('no CNI bin folder');
  const runtimes = table(ctd.runtimes, 'containerd.runtimes');
  for (const [name, r] of Object.entries(runtimes)) onlyKeys(table(r, name), runtimeKeys(version), `runtimes.${name}`);
  return {
    cniBinDirs: binDirs,
    cniConfDir: cni.conf_dir as string,
    sandboxImage: String(sandboxImage),
    defaultRuntime: String(ctd.default_runtime_name),
    runtimes: runtimes as ContainerdConfigFacts['runtimes'],
  };
}

// ---------------------------------------------------------------------------------------------
// kubeadm JoinConfiguration
// ---------------------------------------------------------------------------------------------

/**
 * Which kubeadm reads which config API: v1beta2 1.15-1.26 (removed in 1.27), v1beta3 from 1.22,
 * v1beta4 from 1.31 (kubeadm docs, config API reference; CHANGELOG-1.27).
 */
export function kubeadmAccepts(apiVersion: string, kubernetesVersion: string): boolean {
  const m = minorOf(kubernetesVersion);
  if (apiVersion === 'kubeadm.k8s.io/v1beta2') return m >= 15 && m <= 26;
  if (apiVersion === 'kubeadm.k8s.io/v1beta3') return m >= 22;
  if (apiVersion === 'kubeadm.k8s.io/v1beta4') return m >= 31;
  return false;
}

/** JoinConfiguration fields (kubeadm types.go of each API version) that win-k8s may set. */
const JOIN_FIELDS: Record<string, { top: string[]; discovery: string[]; bootstrapToken: string[]; nodeRegistration: string[] }> = {
  'kubeadm.k8s.io/v1beta2': {
    top: ['apiVersion', 'kind', 'caCertPath', 'discovery', 'nodeRegistration', 'controlPlane'],
    discovery: ['bootstrapToken', 'file', 'tlsBootstrapToken', 'timeout'],
    bootstrapToken: ['token', 'apiServerEndpoint', 'caCertHashes', 'unsafeSkipCAVerification'],
    nodeRegistration: ['name', 'criSocket', 'taints', 'kubeletExtraArgs', 'ignorePreflightErrors'],
  },
  'kubeadm.k8s.io/v1beta3': {
    top: ['apiVersion', 'kind', 'caCertPath', 'discovery', 'nodeRegistration', 'controlPlane', 'skipPhases'],
    discovery: ['bootstrapToken', 'file', 'tlsBootstrapToken', 'timeout'],
    bootstrapToken: ['token', 'apiServerEndpoint', 'caCertHashes', 'unsafeSkipCAVerification'],
    nodeRegistration: ['name', 'criSocket', 'taints', 'kubeletExtraArgs', 'ignorePreflightErrors', 'imagePullPolicy'],
  },
  'kubeadm.k8s.io/v1beta4': {
    top: ['apiVersion', 'kind', 'caCertPath', 'discovery', 'nodeRegistration', 'controlPlane', 'skipPhases', 'patches', 'dryRun', 'timeouts'],
    discovery: ['bootstrapToken', 'file', 'tlsBootstrapToken'],
    bootstrapToken: ['token', 'apiServerEndpoint', 'caCertHashes', 'unsafeSkipCAVerification'],
    nodeRegistration: ['name', 'criSocket', 'taints', 'kubeletExtraArgs', 'ignorePreflightErrors', 'imagePullPolicy', 'imagePullSerial'],
  },
};

export interface JoinFacts {
  apiVersion: string;
  apiServer: string;
  token: string;
  caCertHashes: string[];
  nodeName: string;
  criSocket: string;
}

export function judgeJoinConfiguration(text: string, kubernetesVersion: string): JoinFacts {
  const doc = parseYaml(text) as Record<string, Record<string, unknown>>;
  const apiVersion = String(doc.apiVersion);
  const fields = JOIN_FIELDS[apiVersion];
  if (!fields) throw new Error(`JoinConfiguration apiVersion ${apiVersion} is not a kubeadm config API`);
  if (!kubeadmAccepts(apiVersion, kubernetesVersion)) throw new Error(`kubeadm ${kubernetesVersion} does not read ${apiVersion}`);
  if (String(doc.kind) !== 'JoinConfiguration') throw new Error(`kind ${String(doc.kind)}`);
  const only = (obj: Record<string, unknown> | undefined, allowed: string[], path: string) => {
    for (const k of Object.keys(obj ?? {})) if (!allowed.includes(k)) throw new Error(`JoinConfiguration ${path}.${k} is not a field of ${apiVersion}`);
  };
  only(doc, fields.top, '');
  only(doc.discovery, fields.discovery, 'discovery');
  const bt = doc.discovery?.bootstrapToken as Record<string, unknown> | undefined;
  only(bt, fields.bootstrapToken, 'discovery.bootstrapToken');
  only(doc.nodeRegistration, fields.nodeRegistration, 'nodeRegistration');
  if (!bt) throw new Error('no discovery.bootstrapToken');
  if (bt.unsafeSkipCAVerification) throw new Error('unsafeSkipCAVerification is set');
  const hashes = (bt.caCertHashes as string[] | undefined) ?? [];
  if (hashes.length === 0 || hashes.some((h) => !/^sha256:[0-9a-f]{64}$/.test(h))) throw new Error('discovery is not pinned to the CA (caCertHashes)');
  if (!/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(String(bt.token))) throw new Error('the token is not a bootstrap token');
  return {
    apiVersion,
    apiServer: String(bt.apiServerEndpoint),
    token: String(bt.token),
    caCertHashes: hashes,
    nodeName: String(doc.nodeRegistration?.name),
    criSocket: String(doc.nodeRegistration?.criSocket),
  };
}

// ---------------------------------------------------------------------------------------------
// CNI configs
// ---------------------------------------------------------------------------------------------

export interface CniFacts {
  delegateType: string;
  natExceptions: string[];
  encapRoutes: string[];
  providerAddress?: string;
}

/**
 * The flannel CNI config as the flannel plugin and its delegate read it. win-overlay
 * (containernetworking/plugins pkg/hns/netconf_windows.go) reads `policies` with HNS v1 values
 * and ignores AdditionalArgs; sdnoverlay (microsoft/windows-container-networking) reads HNS v2
 * policies from AdditionalArgs.
 */
export function judgeFlannelCni(text: string): CniFacts {
  const conf = JSON.parse(text) as { type: string; name: string; cniVersion: string; delegate: Record<string, unknown> };
  if (conf.type !== 'flannel') throw new Error(`CNI type ${conf.type}`);
  if (!/^flannel\.\d+$/.test(conf.name)) throw new Error(`network name ${conf.name}`);
  const d = conf.delegate;
  const type = String(d.type);
  if (type === 'win-overlay') {
    if ('AdditionalArgs' in d) throw new Error('win-overlay ignores AdditionalArgs');
    const policies = (d.policies as { Name: string; Value: Record<string, unknown> }[]) ?? [];
    const values = policies.filter((p) => p.Name.toLowerCase() === 'endpointpolicy').map((p) => p.Value);
    const nat = values.find((v) => v.Type === 'OutBoundNAT');
    const routes = values.filter((v) => v.Type === 'ROUTE' && v.NeedEncap === true);
    if (!nat || !Array.isArray(nat.ExceptionList)) throw new Error('win-overlay: no HNS v1 OutBoundNAT ExceptionList');
    return { delegateType: type, natExceptions: nat.ExceptionList as string[], encapRoutes: routes.map((r) => String(r.DestinationPrefix)) };
  }
  if (type === 'sdnoverlay') {
    if ('policies' in d) throw new Error('sdnoverlay reads AdditionalArgs, not policies');
    const args = (d.AdditionalArgs as { Name: string; Value: { Type: string; Settings: Record<string, unknown> } }[]) ?? [];
    const nat = args.find((a) => a.Value.Type === 'OutBoundNAT');
    const routes = args.filter((a) => a.Value.Type === 'SDNRoute' && a.Value.Settings.NeedEncap === true);
    const pa = args.find((a) => a.Value.Type === 'ProviderAddress');
    if (!nat || !Array.isArray(nat.Value.Settings.Exceptions)) throw new Error('sdnoverlay: no HNS v2 OutBoundNAT Settings.Exceptions');
    return { delegateType: type, natExceptions: nat.Value.Settings.Exceptions as string[], encapRoutes: routes.map((r) => String(r.Value.Settings.DestinationPrefix)), ...(pa ? { providerAddress: String(pa.Value.Settings.ProviderAddress) } : {}) };
  }
  throw new Error(`unknown delegate ${type}`);
}

/** flannel's net-conf.json as flanneld reads it on Windows (vxlan_windows.go: VNI >= 4096, port 4789 only). */
export function judgeFlannelNetConf(text: string): { network: string; vni: number } {
  const c = JSON.parse(text) as { Network: string; Backend: { Type: string; VNI: number; Port: number } };
  if (c.Backend.Type !== 'vxlan') throw new Error(`backend ${c.Backend.Type}`);
  if (!(c.Backend.VNI >= 4096)) throw new Error(`VNI [${c.Backend.VNI}] must be greater than or equal to 4096 on Windows`);
  if (c.Backend.Port !== 4789) throw new Error(`Port [${c.Backend.Port}] is not supported on Windows`);
  return { network: c.Network, vni: c.Backend.VNI };
}

// ---------------------------------------------------------------------------------------------
// Service command lines and flags
// ---------------------------------------------------------------------------------------------

/** Splits a Windows command line as CommandLineToArgvW does (quotes, backslashes before quotes). */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      let n = 0;
      while (line[i + n] === '\\') n++;
      if (line[i + n] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else inQuotes = !inQuotes;
        i += n;
      } else {
        cur += '\\'.repeat(n);
        i += n - 1;
      }
      started = true;
    } else if (c === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if ((c === ' ' || c === '\t') && !inQuotes) {
      if (started) out.push(cur);
      cur = '';
      started = false;
    } else {
      cur += c;
      started = true;
    }
  }
  if (started) out.push(cur);
  return out;
}

/**
 * kubelet flags win-k8s may pass, with the first minor that has them and the first that no
 * longer does (passing a removed flag stops the kubelet). Sources: kubernetes CHANGELOG-1.24
 * (dockershim flags), -1.26 (klog flags, #112120), -1.27 (--container-runtime), -1.35
 * (--pod-infra-container-image, #133779); --windows-priorityclass from 1.20 (backported).
 */
const KUBELET_FLAGS: Record<string, [number, number]> = {
  'windows-service': [11, 999],
  'windows-priorityclass': [20, 999],
  config: [10, 999],
  'bootstrap-kubeconfig': [8, 999],
  kubeconfig: [0, 999],
  'cert-dir': [0, 999],
  'hostname-override': [0, 999],
  'node-ip': [0, 999],
  'cgroups-per-qos': [5, 999],
  'enforce-node-allocatable': [6, 999],
  'resolv-conf': [0, 999],
  'container-runtime-endpoint': [0, 999],
  'container-runtime': [0, 27],
  'network-plugin': [0, 24],
  'cni-bin-dir': [0, 24],
  'cni-conf-dir': [0, 24],
  'image-pull-progress-deadline': [0, 24],
  'pod-infra-container-image': [0, 35],
  logtostderr: [0, 26],
  'log-file': [0, 26],
  'node-labels': [0, 999],
  'register-with-taints': [0, 999],
};

/** kube-proxy flags; WinOverlay is a feature gate locked on since 1.34. */
const KUBE_PROXY_FLAGS: Record<string, [number, number]> = {
  'windows-service': [11, 999],
  'proxy-mode': [0, 999],
  'hostname-override': [0, 999],
  kubeconfig: [0, 999],
  'cluster-cidr': [0, 999],
  'network-name': [0, 999],
  'source-vip': [0, 999],
  'enable-dsr': [14, 999],
  'feature-gates': [0, 999],
  logtostderr: [0, 26],
  'log-file': [0, 26],
};

/** kube-log-runner's flags (component-base logs/kube-log-runner): rotation from 1.34. */
const LOG_RUNNER_FLAGS: Record<string, [number, number]> = {
  'log-file': [23, 999],
  'also-stdout': [23, 999],
  'redirect-stderr': [23, 999],
  'log-file-size': [34, 999],
  'log-file-age': [34, 999],
  'flush-interval': [34, 999],
};

export interface ServiceFacts {
  program: string;
  flags: Map<string, string>;
  logRunner?: Map<string, string>;
}

function parseFlags(args: string[], known: Record<string, [number, number]>, minor: number, what: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (const a of args) {
    const m = /^--?([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`${what}: ${a} is not a flag`);
    const [, name, value] = m;
    const span = known[name!];
    if (!span) throw new Error(`${what}: --${name} is not a flag win-k8s expects`);
    if (minor < span[0] || minor >= span[1]) throw new Error(`${what}: --${name} does not exist in 1.${minor}`);
    if (flags.has(name!)) throw new Error(`${what}: --${name} twice`);
    flags.set(name!, value ?? '');
  }
  return flags;
}

/** A service's command line, split as Windows does, with kube-log-runner's and the program's flags judged per version. */
export function judgeServiceCommandLine(line: string, program: 'kubelet' | 'kube-proxy', kubernetesVersion: string): ServiceFacts {
  const minor = minorOf(kubernetesVersion);
  const argv = splitCommandLine(line);
  let logRunner: Map<string, string> | undefined;
  let i = 0;
  if (/kube-log-runner\.exe$/i.test(argv[0]!)) {
    const runnerArgs: string[] = [];
    i = 1;
    while (argv[i]!.startsWith('-')) runnerArgs.push(argv[i++]!);
    logRunner = parseFlags(runnerArgs, LOG_RUNNER_FLAGS, minor, 'kube-log-runner');
  }
  const exe = argv[i]!;
  if (!new RegExp(`[\\\\/]${program}\\.exe$`, 'i').test(exe)) throw new Error(`service runs ${exe}, not ${program}.exe`);
  const flags = parseFlags(argv.slice(i + 1), program === 'kubelet' ? KUBELET_FLAGS : KUBE_PROXY_FLAGS, minor, program);
  return { program: exe, flags, ...(logRunner ? { logRunner } : {}) };
}
