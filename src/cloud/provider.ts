import type { Placement } from '../cluster/provider-id.js';
import type { EventSink } from '../output/output.js';
import type { WindowsVersion } from '../compat/windows.js';

/**
 * What win-k8s needs from a cloud. Providers never print: they return results and report
 * progress through the EventSink. Each provider module is imported only when its cloud is used.
 * Tags (labels on GCP) are the source of truth for list, remove and re-runs: no local state.
 */
export type CloudName = 'aws' | 'azure' | 'gcp';

export const TAG_CLUSTER = 'win-k8s.io/cluster';
export const TAG_POOL = 'win-k8s.io/pool';
export const TAG_NODE = 'win-k8s.io/node-name';

export interface PoolRef {
  cluster: string;
  pool: string;
}

export interface ImageRequest {
  windowsVersion: WindowsVersion;
  edition: 'core' | 'full';
  /** An explicit image (AMI id, URN, gallery id, GCP image): used as is after a sanity check. */
  image?: string | undefined;
}

export interface ResolvedImage {
  id: string;
  name: string;
  /** The image has the Containers feature enabled: the bootstrap needs no reboot. */
  containersPreinstalled: boolean;
}

export interface PlacementRequest {
  /** Where the control plane runs (from its providerID), when known. */
  controlPlane?: Placement | undefined;
}

export interface ResolvedPlacement {
  region: string;
  zone?: string;
  /** VPC / VNet / network id. */
  networkId: string;
  subnetId: string;
  /** The network's address range: node ports are opened to it only. */
  networkCidr: string;
  /** Extra firewall/security groups the nodes are put in besides the pool's own (AWS: only when asked). */
  extraFirewallIds: string[];
  /**
   * AWS: the control plane's security groups. The pool's rules refer to them (the control plane
   * reaches the kubelet) and one of them admits the pool to the API server; nodes are not members.
   */
  controlPlaneFirewallIds?: string[];
}

export interface FirewallResult {
  id: string;
  created: boolean;
}

export interface VmRequest {
  nodeName: string;
  /** The full bootstrap PowerShell; the provider delivers it the way its cloud runs it. */
  script: string;
}

export interface CreateVmsRequest {
  ref: PoolRef;
  placement: ResolvedPlacement;
  image: ResolvedImage;
  firewall: FirewallResult;
  vms: VmRequest[];
  concurrency: number;
  signal: AbortSignal;
}

export interface VmResult {
  nodeName: string;
  instanceId?: string;
  privateIp?: string;
  /** Set when this VM could not be created; others in the batch may have been. */
  error?: string;
  /** Seconds from the create call until the VM was running. */
  provisionSeconds?: number;
}

/** One security group / NSG / firewall rule of a pool, with its rules in words. */
export interface PoolFirewallDescription {
  id: string;
  name: string;
  /** e.g. "tcp 10250 from 10.0.0.0/16"; rules elsewhere that name the pool's firewall say where. */
  rules: string[];
}

export interface ManagedVm {
  instanceId: string;
  nodeName: string;
  pool: string;
  cluster: string;
  state: string;
  privateIp?: string;
}

/** What `init` offers as choices when the cloud's credentials allow reading them. */
export interface WizardChoices {
  subnets: { id: string; cidr: string; zone: string; network: string }[];
  instanceTypes: string[];
}

export interface QuotaRequest {
  placement: ResolvedPlacement;
  /** VMs the pool would add. */
  count: number;
}

/** One limit the pool would count against, in the cloud's unit (vCPUs, addresses, GB). */
export interface QuotaUse {
  /** The cloud's name of the quota (L-1216C47A, standardDSv5Family, N2_CPUS ...). */
  quota: string;
  limit: number;
  usage: number;
  /** What the pool would add. */
  needed: number;
  unit: string;
}

export interface QuotaReport {
  uses: QuotaUse[];
  /** The page that says how to ask for more. */
  increaseUrl: string;
  /** Why (some of) the quota could not be read: denied, a family the tool does not map. */
  unreadable?: string | undefined;
}

export interface CloudProvider {
  readonly cloud: CloudName;
  resolveImage(req: ImageRequest): Promise<ResolvedImage>;
  resolvePlacement(req: PlacementRequest): Promise<ResolvedPlacement>;
  ensureFirewall(ref: PoolRef, placement: ResolvedPlacement): Promise<FirewallResult>;
  /** Creates VMs in parallel (bounded); never throws for one VM's failure: see VmResult.error. */
  createVms(req: CreateVmsRequest): Promise<VmResult[]>;
  /** The serial console text of a VM (the bootstrap writes `win-k8s: <phase> ...` lines there). */
  consoleOutput(instanceId: string): Promise<string>;
  listVms(ref: { cluster: string; pool?: string | undefined }): Promise<ManagedVm[]>;
  deleteVms(instanceIds: string[], signal?: AbortSignal): Promise<void>;
  /** Deletes the pool's firewall once no VM of the pool is left; returns what was deleted. */
  deletePoolResources(ref: PoolRef): Promise<string[]>;
  /** The pool's firewall as deletePoolResources would find it (reads only), for `remove --dry-run`. */
  describePoolFirewall?(ref: PoolRef): Promise<PoolFirewallDescription[]>;
  /** What the pool would take of the cloud's quotas, read only (plan, --dry-run). */
  readQuota?(req: QuotaRequest): Promise<QuotaReport>;
  /** Subnets and instance types to offer in `init` (the cluster's network first). */
  wizardChoices?(req: PlacementRequest): Promise<WizardChoices>;
  /**
   * Runs a PowerShell script on a VM this tool created, through the cloud's own agent (AWS
   * SSM Run Command, Azure Run Command): `diagnose` uses it for nodes where a HostProcess pod
   * cannot run (Docker nodes). Absent where the cloud offers no such agent.
   */
  runPowerShell?(instanceId: string, script: string, opts: RunPowerShellOptions): Promise<RunPowerShellResult>;
  /**
   * Takes the bootstrap (which carries the join token) out of what the cloud keeps readable
   * about these VMs, once their join is over (Ready, failed or timed out): join calls it for
   * every VM it created. Absent where the cloud offers no way to change it after creation
   * (then the token's TTL and its deletion after the join are the only bound).
   */
  forgetBootstrap?(instanceIds: string[]): Promise<void>;
}

export interface RunPowerShellOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface RunPowerShellResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ProviderDeps {
  sink: EventSink;
}
