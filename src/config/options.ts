import { DEFAULT_WINDOWS_VERSION, WINDOWS_VERSIONS } from '../compat/windows.js';
import type { DurationRule } from './duration.js';
/**
 * Every option the CLI takes, once: its flag, its WIN_K8S_* variable and its path in
 * win-k8s.yaml. Commands pick from here, so a value has one name and one rule wherever it is
 * set. This module must stay free of heavy imports: it is loaded for `--help`.
 */
export type OptionKind = 'string' | 'boolean' | 'int' | 'list' | 'map';

export interface OptionSpec {
  /** commander flag syntax, e.g. `--kubernetes-version <x.y.z>` */
  flags: string;
  description: string;
  kind: OptionKind;
  /** Dotted path in the resolved config; `render.*` and `command.*` paths cannot be set in win-k8s.yaml. */
  path?: string;
  choices?: readonly string[];
  /** Shown in help only; the real default lives in the schema so flag, env and file agree. */
  defaultText?: string;
  /** A duration (90s, 1h30m): read by the one duration parser, with this flag's range. */
  duration?: DurationRule;
  /** The heading it is listed under in a command's help; ungrouped options come first, under "Options:". */
  group?: OptionGroup;
}

/** Help headings of the option groups, in the order help lists them. */
export const OPTION_GROUPS = {
  cluster: 'Cluster:',
  nodes: 'Nodes:',
  pool: 'Pool and node software:',
  cloud: 'Cloud:',
  network: 'Network:',
  security: 'Security:',
  checks: 'Checks:',
  drain: 'Drain:',
  output: 'Run and output:',
} as const;
export type OptionGroup = keyof typeof OPTION_GROUPS;

/** `--node-name <name>` -> `nodeName`, the key commander stores the value under. */
export function optionKey(spec: OptionSpec): string {
  const long = longFlag(spec).replace(/^--(no-)?/, '');
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function longFlag(spec: OptionSpec): string {
  const m = /--[a-z0-9-]+/.exec(spec.flags);
  if (!m) throw new Error(`option without a long flag: ${spec.flags}`);
  return m[0];
}

/** `--kubernetes-version` -> `WIN_K8S_KUBERNETES_VERSION`; `--no-color` -> `WIN_K8S_NO_COLOR`. */
export function envName(spec: OptionSpec): string {
  return `WIN_K8S_${longFlag(spec).slice(2).replace(/-/g, '_').toUpperCase()}`;
}

export const globalOptions = {
  config: { flags: '-c, --config <file>', description: 'config file', defaultText: './win-k8s.yaml when it exists', kind: 'string' },
  kubeconfig: { flags: '--kubeconfig <path>', description: 'kubeconfig file', defaultText: '$KUBECONFIG, then ~/.kube/config', kind: 'string', path: 'kubeconfig' },
  context: { flags: '--context <name>', description: 'kubeconfig context to use', kind: 'string', path: 'context' },
  requestTimeout: {
    flags: '--request-timeout <duration>',
    description: 'how long one Kubernetes API request may take, as kubectl: 0 is no bound, a bare number is seconds; connecting still gives up after 30s and the TLS handshake after 10s',
    kind: 'string',
    path: 'requestTimeout',
    defaultText: '0',
    duration: { bareSeconds: true },
  },
  output: { flags: '-o, --output <format>', description: 'output format; short: diagnose only, one line per category', kind: 'string', path: 'output', choices: ['human', 'json', 'short'], defaultText: 'human' },
  yes: { flags: '-y, --yes', description: 'answer yes to confirmations (required without a TTY)', kind: 'boolean' },
  noColor: { flags: '--no-color', description: 'disable colours (also NO_COLOR)', kind: 'boolean' },
  verbose: { flags: '-v, --verbose', description: 'more detail on stderr (secrets stay redacted)', kind: 'boolean' },
} satisfies Record<string, OptionSpec>;

export const targetOptions = {
  kubernetesVersion: { group: 'pool', flags: '--kubernetes-version <x.y.z>', description: 'Kubernetes version of the node binaries', kind: 'string', path: 'pool.kubernetesVersion' },
  windowsVersion: { group: 'pool', flags: '--windows-version <version>', description: 'Windows Server version', kind: 'string', path: 'pool.windowsVersion', choices: [...WINDOWS_VERSIONS], defaultText: DEFAULT_WINDOWS_VERSION },
  runtime: { group: 'pool', flags: '--runtime <runtime>', description: 'container runtime', kind: 'string', path: 'pool.runtime', choices: ['containerd', 'docker'], defaultText: 'containerd' },
  cni: { group: 'network', flags: '--cni <cni>', description: 'network plugin the cluster runs', kind: 'string', path: 'pool.cni', choices: ['flannel', 'calico', 'none'], defaultText: 'flannel' },
  containerdVersion: { group: 'pool', flags: '--containerd-version <x.y.z>', description: 'containerd version', defaultText: 'the one matched to the Kubernetes version', kind: 'string', path: 'pool.containerdVersion' },
  dockerVersion: { group: 'pool', flags: '--docker-version <x.y.z>', description: 'Docker CE version, for --runtime docker', kind: 'string', path: 'pool.dockerVersion' },
  hypervIsolation: { group: 'pool', flags: '--hyperv-isolation', description: 'enable Hyper-V and a containerd runtime handler for Hyper-V isolated containers', kind: 'boolean', path: 'pool.hypervIsolation' },
  nodeLabels: { group: 'pool', flags: '--node-labels <k=v,...>', description: 'labels the kubelet registers the node with', kind: 'map', path: 'pool.labels' },
  nodeTaints: { group: 'pool', flags: '--node-taints <key[=value]:Effect,...>', description: 'taints the kubelet registers the node with', kind: 'list', path: 'pool.taints' },
  checksum: { group: 'security', flags: '--checksum <name=sha256,...>', description: 'pin the SHA-256 of a download (required for docker, whose zips have no published checksum)', kind: 'map', path: 'pool.checksums' },
  allowUnsupported: { group: 'pool', flags: '--allow-unsupported', description: 'go on with a combination the compatibility matrix refuses (prints a warning)', kind: 'boolean', path: 'pool.allowUnsupported' },
} satisfies Record<string, OptionSpec>;

export const joinValueOptions = {
  apiServer: { group: 'cluster', flags: '--api-server <host:port>', description: 'API server endpoint the node joins', kind: 'string', path: 'cluster.apiServer' },
  token: { group: 'cluster', flags: '--token <token>', description: 'bootstrap token (prefer WIN_K8S_TOKEN: flags are visible in the process list)', kind: 'string', path: 'cluster.token' },
  caCertHash: { group: 'cluster', flags: '--ca-cert-hash <sha256:hex>', description: 'hash of the cluster CA public key, for kubeadm discovery', kind: 'string', path: 'cluster.caCertHash' },
  tokenTtl: { group: 'cluster', flags: '--token-ttl <duration>', description: 'lifetime of a bootstrap token win-k8s creates, e.g. 30m or 2h', kind: 'string', path: 'cluster.tokenTtl', defaultText: '30m', duration: { min: 60_000, max: 168 * 3_600_000 } },
  serviceCidr: { group: 'network', flags: '--service-cidr <cidr>', description: 'cluster Service CIDR', kind: 'string', path: 'cluster.serviceCidr', defaultText: '10.96.0.0/12' },
  clusterCidr: { group: 'network', flags: '--cluster-cidr <cidr>', description: 'cluster Pod CIDR', kind: 'string', path: 'cluster.podCidr', defaultText: '10.244.0.0/16' },
} satisfies Record<string, OptionSpec>;

export const proxyOptions = {
  httpProxy: { group: 'network', flags: '--http-proxy <url>', description: 'HTTP proxy for downloads, the runtime and the kubelet', kind: 'string', path: 'proxy.http' },
  httpsProxy: { group: 'network', flags: '--https-proxy <url>', description: 'HTTPS proxy', kind: 'string', path: 'proxy.https' },
  noProxy: { group: 'network', flags: '--no-proxy <hosts>', description: 'hosts and CIDRs that bypass the proxy (cluster CIDRs are added)', kind: 'list', path: 'proxy.noProxy' },
} satisfies Record<string, OptionSpec>;

export const renderOptions = {
  nodeName: { group: 'pool', flags: '--node-name <name>', description: 'node name and Windows computer name (at most 15 characters)', kind: 'string', path: 'render.nodeName' },
  createToken: { group: 'cluster', flags: '--create-token', description: 'create a bootstrap token in the cluster (needs --kubeconfig; expires after --token-ttl)', kind: 'boolean', path: 'render.createToken' },
  compress: { group: 'output', flags: '--compress', description: 'emit a small stub carrying the script as base64 gzip (for 16 KB user-data limits)', kind: 'boolean', path: 'render.compress' },
  outputFile: { group: 'output', flags: '--output-file <path>', description: 'write the script to a file (mode 0600) instead of stdout', kind: 'string', path: 'render.outputFile' },
} satisfies Record<string, OptionSpec>;

export const poolOptions = {
  pool: { group: 'pool', flags: '--pool <name>', description: 'node pool name, at most 9 characters: nodes are <pool>-<5 random>', kind: 'string', path: 'pool.name', defaultText: 'win' },
  count: { group: 'pool', flags: '--count <n>', description: 'number of Windows nodes in the pool', kind: 'int', path: 'pool.count', defaultText: '1' },
  cloud: { group: 'cloud', flags: '--cloud <cloud>', description: 'cloud to create VMs in', defaultText: 'where the control plane runs', kind: 'string', path: 'cloud', choices: ['aws', 'azure', 'gcp'] },
  taintWindows: { group: 'pool', flags: '--taint-windows', description: 'taint Windows nodes os=windows:NoSchedule so only pods that tolerate it land there', kind: 'boolean', path: 'pool.taintWindows' },
} satisfies Record<string, OptionSpec>;

export const cloudOptions = {
  edition: { group: 'pool', flags: '--edition <edition>', description: 'Windows Server edition of the image', kind: 'string', path: 'pool.edition', choices: ['core', 'full'], defaultText: 'core' },
  image: { group: 'pool', flags: '--image <id>', description: 'VM image to use instead of the latest Windows Server image (AMI id, URN or gallery id, GCP image)', kind: 'string', path: 'pool.image' },
  instanceType: { group: 'pool', flags: '--instance-type <type>', description: 'instance type / VM size / machine type', defaultText: 'm5.large, Standard_D4s_v5, n2-standard-4', kind: 'string', path: 'pool.instanceType' },
  diskSize: { group: 'pool', flags: '--disk-size <GiB>', description: 'OS disk size in GiB, at most AWS 16384, Azure 4095, GCP 65536', kind: 'int', path: 'pool.diskSizeGb', defaultText: '100; Azure: the image\'s size, 127 for Windows Server' },
  region: { group: 'cloud', flags: '--region <region>', description: 'cloud region', defaultText: 'the control plane\'s', kind: 'string', path: 'pool.region' },
  subnetId: { group: 'network', flags: '--subnet-id <id>', description: 'subnet for the VMs', defaultText: 'the control plane\'s', kind: 'string', path: 'pool.subnetId' },
  allowRdpFrom: { group: 'security', flags: '--allow-rdp-from <cidr>', description: 'open RDP (TCP 3389) from this network; closed by default', kind: 'string', path: 'pool.allowRdpFrom' },
  subscription: { group: 'cloud', flags: '--subscription <id>', description: 'Azure: subscription', defaultText: 'AZURE_SUBSCRIPTION_ID, else the control plane\'s', kind: 'string', path: 'azure.subscription' },
  resourceGroup: { group: 'cloud', flags: '--resource-group <name>', description: 'Azure: resource group', defaultText: 'the control plane\'s', kind: 'string', path: 'azure.resourceGroup' },
  location: { group: 'cloud', flags: '--location <location>', description: 'Azure: location', defaultText: 'the control plane VM\'s', kind: 'string', path: 'azure.location' },
  adminPasswordFile: { group: 'security', flags: '--admin-password-file <path>', description: 'Azure: append each VM\'s generated Windows admin password here as <node><TAB><password> (mode 0600); otherwise it is never stored', kind: 'string', path: 'azure.adminPasswordFile' },
  azureDiskType: { group: 'pool', flags: '--azure-disk-type <type>', description: 'Azure: OS disk type', kind: 'string', path: 'azure.diskType', defaultText: 'Premium_LRS' },
  azureEndpoint: { group: 'cloud', flags: '--azure-endpoint <url>', description: 'Azure: ARM endpoint (sovereign clouds; also AZURE_ARM_ENDPOINT)', kind: 'string', path: 'azure.endpoint' },
  project: { group: 'cloud', flags: '--project <id>', description: 'GCP: project', defaultText: 'CLOUDSDK_CORE_PROJECT, else the control plane\'s', kind: 'string', path: 'gcp.project' },
  zone: { group: 'cloud', flags: '--zone <zone>', description: 'GCP: zone', defaultText: 'the control plane\'s', kind: 'string', path: 'gcp.zone' },
  externalIp: { group: 'network', flags: '--external-ip', description: 'GCP: give the VMs an external IP', defaultText: 'none', kind: 'boolean', path: 'gcp.externalIp' },
  gcpDiskType: { group: 'pool', flags: '--gcp-disk-type <type>', description: 'GCP: boot disk type', kind: 'string', path: 'gcp.diskType', defaultText: 'pd-balanced' },
  // Named after GCP's --external-ip, with the cloud as prefix as --azure-disk-type/--gcp-disk-type do: one flag maps to one config path.
  awsExternalIp: { group: 'network', flags: '--aws-external-ip', description: 'AWS: give the VMs a public IPv4 address', defaultText: 'none, even in a subnet that auto-assigns one', kind: 'boolean', path: 'aws.externalIp' },
  awsControlPlaneGroups: { group: 'security', flags: '--aws-control-plane-groups', description: 'AWS: also put the VMs into the control plane\'s security groups, inheriting every port they open', defaultText: 'rules that admit only the kubelet and the API server', kind: 'boolean', path: 'aws.controlPlaneGroups' },
  instanceProfile: { group: 'security', flags: '--instance-profile <name>', description: 'AWS: IAM instance profile for the VMs (needed for SSM run-command)', kind: 'string', path: 'aws.instanceProfile' },
} satisfies Record<string, OptionSpec>;

export const joinOptions = {
  dryRun: { group: 'output', flags: '--dry-run', description: 'print the plan and change nothing', kind: 'boolean', path: 'command.dryRun' },
  concurrency: { group: 'output', flags: '--concurrency <n>', description: 'VMs created at the same time', kind: 'int', path: 'command.concurrency', defaultText: '10' },
  timeout: { group: 'output', flags: '--timeout <duration>', description: 'how long a node may take to become Ready, e.g. 20m or 1h30m', kind: 'string', path: 'command.timeout', defaultText: '20m', duration: { min: 1000 } },
  onFailure: { group: 'output', flags: '--on-failure <action>', description: 'what to do with VMs whose node failed', kind: 'string', path: 'command.onFailure', choices: ['keep', 'delete'], defaultText: 'keep' },
} satisfies Record<string, OptionSpec>;

/** provision's timeout: its VMs never become Ready (they do not join); they end Provisioned. */
export const provisionOptions = {
  timeout: { ...joinOptions.timeout, description: 'how long a VM may take to finish its bootstrap and be Provisioned, e.g. 20m or 1h30m' },
} satisfies Record<string, OptionSpec>;

/** list and remove read a pool's VMs where they are: --cloud names that cloud, not one to create VMs in. */
export const managedOptions = {
  cloud: { ...poolOptions.cloud, description: 'cloud the pool\'s VMs are in' },
} satisfies Record<string, OptionSpec>;

/**
 * diagnose's own options. Per-run values (`command.*`): flags and WIN_K8S_* variables, not
 * win-k8s.yaml fields. Defaults are applied by the command, so help shows them here.
 */
export const diagnoseOptions = {
  node: { group: 'nodes', flags: '--node <name>', description: 'only this Windows node (repeatable, or a comma list)', kind: 'list', path: 'command.nodes' },
  pool: { group: 'nodes', flags: '--pool <name>', description: 'only the nodes of this pool (label win-k8s.io/pool)', kind: 'string', path: 'command.pool' },
  checks: { group: 'checks', flags: '--checks <pattern>', description: 'comma list of check id globs; a ! prefix excludes (e.g. node.*,!node.version-skew)', kind: 'string', path: 'command.checks' },
  wait: { group: 'checks', flags: '--wait <duration>', description: 're-run failing checks until they pass or the duration (e.g. 90s, 5m) ends', kind: 'string', path: 'command.wait', duration: {} },
  failOn: { group: 'checks', flags: '--fail-on <level>', description: 'when to exit 1: fail, on a failed check; warn, also on a warning', kind: 'string', path: 'command.failOn', defaultText: 'fail' },
  junitFile: { group: 'output', flags: '--junit-file <path>', description: 'also write the results as JUnit XML', kind: 'string', path: 'command.junitFile' },
  skipProbes: { group: 'checks', flags: '--skip-probes', description: 'do not run the in-cluster network probes (they create pods in a temporary namespace)', kind: 'boolean', path: 'command.skipProbes' },
  probeTimeout: { group: 'checks', flags: '--probe-timeout <duration>', description: 'bound for each probe pod to start and finish', kind: 'string', path: 'command.probeTimeout', defaultText: '2m', duration: { min: 1000 } },
  externalTarget: { group: 'checks', flags: '--external-target <host:port>', description: 'what the egress probe resolves and connects to', kind: 'string', path: 'command.externalTarget', defaultText: 'mcr.microsoft.com:443' },
  skipNodeChecks: { group: 'checks', flags: '--skip-node-checks', description: 'do not run the on-node script (HostProcess pod, or the cloud run-command on Docker nodes)', kind: 'boolean', path: 'command.skipNodeChecks' },
  bundle: { group: 'output', flags: '--bundle <file.tar.gz>', description: 'also write a support bundle: node reports, logs, node/pod/event YAML, secrets redacted', kind: 'string', path: 'command.bundle' },
} satisfies Record<string, OptionSpec>;

/** `list --pool`: a filter, so WIN_K8S_POOL (the pool join uses) narrows it too. */
export const listOptions = {
  pool: { group: 'nodes', flags: '--pool <name>', description: 'only this pool', kind: 'string', path: 'command.pool' },
} satisfies Record<string, OptionSpec>;

/**
 * remove's settings. What it removes (node names, --pool) is taken from the command line
 * only: a WIN_K8S_POOL exported for join must never turn a bare `remove` into "remove the
 * whole pool".
 */
export const removeOptions = {
  force: { group: 'drain', flags: '--force', description: 'also delete pods that no controller manages (they are lost)', kind: 'boolean', path: 'command.force' },
  drainTimeout: { group: 'drain', flags: '--drain-timeout <duration>', description: 'how long to wait for evictions (PodDisruptionBudgets) per node', kind: 'string', path: 'command.drainTimeout', defaultText: '5m', duration: { min: 1000 } },
  dryRun: { group: 'output', flags: '--dry-run', description: 'show what would be deleted (Nodes, VMs, bootstrap tokens, the pool\'s firewall) and delete nothing', kind: 'boolean', path: 'command.dryRun' },
  keepClusterObjects: {
    group: 'cluster',
    flags: '--keep-cluster-objects',
    description: 'when the last win-k8s pool goes, keep the cluster-wide objects join made for Windows nodes (RuntimeClasses, ClusterRoleBindings, the Calico kube-proxy DaemonSet); only objects labelled app.kubernetes.io/managed-by=win-k8s are ever deleted',
    kind: 'boolean',
    path: 'command.keepClusterObjects',
  },
} satisfies Record<string, OptionSpec>;

/** init's own options (per run, so flags and WIN_K8S_* variables only). */
export const initOptions = {
  file: { group: 'output', flags: '--file <path>', description: 'where to write the config', kind: 'string', path: 'command.file', defaultText: 'win-k8s.yaml' },
  force: { group: 'output', flags: '--force', description: 'overwrite an existing file', kind: 'boolean', path: 'command.force' },
  defaults: { group: 'output', flags: '--defaults', description: 'write the file without asking: the defaults and what the cluster tells (for CI and scripts)', kind: 'boolean', path: 'command.defaults' },
} satisfies Record<string, OptionSpec>;

/**
 * Flags that deliberately have no WIN_K8S_* variable: they say *what* a destructive command
 * acts on, which an exported variable must never decide for a command typed without it.
 */
export const COMMAND_LINE_ONLY: readonly string[] = ['remove --pool'];
