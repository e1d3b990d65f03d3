import { UsageError, isWinK8sError } from '../../errors.js';
import type { Placement } from '../../cluster/provider-id.js';
import type { EventSink } from '../../output/output.js';
import type {
  CloudProvider,
  CreateVmsRequest,
  FirewallResult,
  ImageRequest,
  ManagedVm,
  PlacementRequest,
  PoolFirewallDescription,
  PoolRef,
  QuotaReport,
  QuotaRequest,
  ResolvedImage,
  ResolvedPlacement,
  VmResult,
  WizardChoices,
} from '../provider.js';
import { wizardChoices } from './choices.js';
import { anonymousAuthClient, createClients, type GceAuthClient, type GceClients } from './clients.js';
import { SerialConsole } from './console.js';
import { isNetworkFailure, normalizeGcpError, toWinK8sError } from './errors.js';
import { NODE_PORTS, deletePoolFirewalls, ensureFirewall } from './firewall.js';
import { describePoolFirewalls } from './pool-firewall.js';
import { forgetBootstrap } from './forget-bootstrap.js';
import { WINDOWS_IMAGE_PROJECT, resolveImage } from './images.js';
import { readQuota } from './quota.js';
import { DEFAULT_DISK_TYPE, createVms, deleteVms, listInstances, listVms, vmState, type InstanceSettings } from './instances.js';
import { LABEL_CLUSTER, LABEL_NODE, LABEL_POOL } from './labels.js';
import { SCRIPT_KEY } from './metadata.js';
import type { GceContext, OperationTiming, Scope } from './operations.js';
import { DEFAULT_MACHINE_TYPE, resolvePlacement, type PlacementOptions } from './placement.js';
import { DEFAULT_RETRY, withRetry, type RetryOptions, type RetryNotice } from './retry.js';

// What this module exported before the per-resource modules took the code over.
export { LABEL_CLUSTER, LABEL_NODE, LABEL_POOL, SCRIPT_KEY };
export { anonymousAuthClient };
export type { GceAuthClient };
export { DEFAULT_DISK_TYPE, DEFAULT_MACHINE_TYPE, NODE_PORTS, WINDOWS_IMAGE_PROJECT, vmState };

export interface GcpTuning extends RetryOptions, OperationTiming {}

export const DEFAULT_TUNING: GcpTuning = { ...DEFAULT_RETRY, operationTimeoutMs: 15 * 60_000, pollMs: 2_000 };

export interface GcpProviderOptions {
  sink: EventSink;
  /** --project; else CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, the control plane's project. */
  project?: string | undefined;
  /** --zone; else CLOUDSDK_COMPUTE_ZONE, the control plane's zone. */
  zone?: string | undefined;
  /** Default n2-standard-4. */
  machineType?: string | undefined;
  diskSizeGb: number;
  /** Default pd-balanced. */
  diskType?: string | undefined;
  /** projects/<p>/regions/<r>/subnetworks/<name> or a name in the zone's region; else the control plane's. */
  subnetwork?: string | undefined;
  allowRdpFrom?: string | undefined;
  /** projects/<p>/global/images/<name> or projects/<p>/global/images/family/<family> (a full URL works too). */
  image?: string | undefined;
  edition: 'core' | 'full';
  /** Give the VMs an ephemeral external IP (default: none; nodes reach the internet through Cloud NAT). */
  externalIp?: boolean | undefined;
  /** Default: Application Default Credentials. */
  authClient?: GceAuthClient | undefined;
  /** A custom endpoint (tests, Private Service Connect): host name without scheme. */
  apiEndpoint?: string | undefined;
  port?: number | undefined;
  protocol?: 'http' | 'https' | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  controlPlane?: Placement | undefined;
  /** Retries, polling and timeouts; tests shorten them. */
  tuning?: Partial<GcpTuning> | undefined;
  /** --hyperv-isolation: the machine must run the Hyper-V role (nested virtualization). */
  nestedVirtualization?: boolean | undefined;
  /** --allow-unsupported: Hyper-V isolation, which Compute Engine does not support, is tried anyway. */
  allowUnsupported?: boolean | undefined;
}

export function createGcpProvider(opts: GcpProviderOptions): CloudProvider & { close(): Promise<void> } {
  return new GcpProvider(opts);
}

class GcpProvider implements CloudProvider {
  readonly cloud = 'gcp' as const;
  private readonly tuning: GcpTuning;
  private clients: GceClients | undefined;
  private controlPlane: Placement | undefined;
  private rateWarned = false;
  private readonly imageDisk = new Map<string, number>();
  private readonly console = new SerialConsole();
  /** What the per-resource modules use of this provider: its retried call, sink and timing. */
  private readonly ctx: GceContext;

  constructor(private readonly opts: GcpProviderOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.controlPlane = opts.controlPlane;
    this.ctx = { call: (action, fn, signal) => this.call(action, fn, signal), sink: opts.sink, tuning: this.tuning, endpoint: () => this.clients?.endpoint };
  }

  private get sink(): EventSink {
    return this.opts.sink;
  }

  private get machineType(): string {
    return this.opts.machineType ?? DEFAULT_MACHINE_TYPE;
  }

  private connect(): GceClients {
    this.clients ??= createClients(this.opts);
    return this.clients;
  }

  async close(): Promise<void> {
    await this.clients?.close();
    this.clients = undefined;
  }

  private scope(): Scope {
    const env = this.opts.env ?? process.env;
    const cp = this.controlPlane?.cloud === 'gcp' ? this.controlPlane : undefined;
    const project = this.opts.project ?? env.CLOUDSDK_CORE_PROJECT ?? env.GOOGLE_CLOUD_PROJECT ?? cp?.project;
    if (!project) {
      throw new UsageError('no Google Cloud project given', { field: '--project', hint: 'pass --project (or set CLOUDSDK_CORE_PROJECT); by default win-k8s uses the control plane\'s project' });
    }
    const zone = this.opts.zone ?? env.CLOUDSDK_COMPUTE_ZONE ?? cp?.zone;
    if (!zone) {
      throw new UsageError('no Compute Engine zone given', { field: '--zone', hint: 'pass --zone (or set CLOUDSDK_COMPUTE_ZONE); by default win-k8s uses the control plane\'s zone' });
    }
    return { project, zone, region: zone.replace(/-[a-z]$/, '') };
  }

  private onRetry(action: string, n: RetryNotice): void {
    if (n.rateLimited && !this.rateWarned) {
      this.rateWarned = true;
      this.sink({ level: 'warn', message: `Compute Engine is rate-limiting API calls (${n.reason}); retrying with backoff. Lower --concurrency if this goes on.` });
    }
    this.sink({ level: 'debug', message: `${action} failed (${n.reason}), attempt ${n.attempt}` });
  }

  /** One API call, retried on rate limits and 5xx. */
  private call<T>(action: string, fn: (c: GceClients) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const c = this.connect();
    const attempt = () =>
      c
        .authenticate()
        .then(() => fn(c))
        .catch((err: unknown) => {
          throw normalizeGcpError(err);
        });
    return withRetry(attempt, this.tuning, (n) => this.onRetry(action, n), signal);
  }

  /** The last line of defence: whatever escaped a step's own mapping still gets an exit code and a hint. */
  private async run<T>(action: string, fn: (s: Scope) => Promise<T>): Promise<T> {
    let scope: Scope | undefined;
    try {
      scope = this.scope();
      return await fn(scope);
    } catch (err) {
      const cause = isWinK8sError(err) ? err.cause : err;
      const context = { action, project: scope?.project, zone: scope?.zone, endpoint: this.clients?.endpoint };
      if (this.clients?.endpoint && cause !== undefined && isNetworkFailure(cause)) throw toWinK8sError(cause, context);
      throw isWinK8sError(err) ? err : toWinK8sError(err, context);
    }
  }

  // --- images ---------------------------------------------------------------------------------

  resolveImage(req: ImageRequest): Promise<ResolvedImage> {
    return this.run('compute.images.getFromFamily', async () => {
      const image = await resolveImage(this.ctx, req, req.image ?? this.opts.image);
      if (image.diskSizeGb !== undefined) this.imageDisk.set(image.id, image.diskSizeGb);
      return { id: image.id, name: image.name, containersPreinstalled: image.containersPreinstalled };
    });
  }

  /** The region's quotas the pool counts against (vCPUs of its series, boot disks, external IPs). */
  readQuota(req: QuotaRequest): Promise<QuotaReport> {
    const imageDisk = Math.max(0, ...this.imageDisk.values());
    return this.run('compute.regions.get', (s) =>
      readQuota(this.ctx, { ...s, region: req.placement.region }, {
        machineType: this.machineType,
        count: req.count,
        diskSizeGb: Math.max(this.opts.diskSizeGb, imageDisk),
        diskType: this.opts.diskType ?? DEFAULT_DISK_TYPE,
        externalIp: this.opts.externalIp ?? false,
      }),
    );
  }

  // --- placement ------------------------------------------------------------------------------

  resolvePlacement(req: PlacementRequest): Promise<ResolvedPlacement> {
    if (req.controlPlane && !this.controlPlane) this.controlPlane = req.controlPlane;
    return this.run('resolve the placement', (s) => resolvePlacement(this.ctx, s, this.placementOptions(), this.controlPlane?.cloud === 'gcp' ? this.controlPlane : undefined));
  }

  private placementOptions(): PlacementOptions {
    return { machineType: this.machineType, subnetwork: this.opts.subnetwork, nestedVirtualization: this.opts.nestedVirtualization, allowUnsupported: this.opts.allowUnsupported };
  }

  wizardChoices(req: PlacementRequest): Promise<WizardChoices> {
    if (req.controlPlane && !this.controlPlane) this.controlPlane = req.controlPlane;
    return this.run('list subnetworks and machine types', async (s) => {
      const clusterNetwork = this.controlPlane?.cloud === 'gcp' ? (await this.resolvePlacement(req).catch(() => undefined))?.networkId : undefined;
      return wizardChoices(this.ctx, s, clusterNetwork, this.opts.nestedVirtualization);
    });
  }

  // --- firewall -------------------------------------------------------------------------------

  ensureFirewall(ref: PoolRef, placement: ResolvedPlacement): Promise<FirewallResult> {
    return this.run('compute.firewalls.insert', (s) => ensureFirewall(this.ctx, s, ref, placement, this.opts.allowRdpFrom));
  }

  // --- instances ------------------------------------------------------------------------------

  private instanceSettings(): InstanceSettings {
    return { machineType: this.machineType, diskSizeGb: this.opts.diskSizeGb, diskType: this.opts.diskType, externalIp: this.opts.externalIp, nestedVirtualization: this.opts.nestedVirtualization };
  }

  createVms(req: CreateVmsRequest): Promise<VmResult[]> {
    return this.run('compute.instances.insert', (s) => createVms(this.ctx, s, this.instanceSettings(), req, this.imageDisk.get(req.image.id)));
  }

  consoleOutput(instanceId: string): Promise<string> {
    return this.run('compute.instances.getSerialPortOutput', (s) => this.console.output(this.ctx, s, instanceId));
  }

  forgetBootstrap(instanceIds: string[]): Promise<void> {
    return this.run('compute.instances.setMetadata', (s) => forgetBootstrap(this.ctx, s, instanceIds));
  }

  listVms(ref: { cluster: string; pool?: string | undefined }): Promise<ManagedVm[]> {
    return this.run('compute.instances.list', (s) => listVms(this.ctx, s, ref));
  }

  deleteVms(instanceIds: string[], signal?: AbortSignal): Promise<void> {
    return this.run('compute.instances.delete', async (s) => {
      // A later instance of the same name starts its serial port at 0 again.
      this.console.forget(s, instanceIds);
      await deleteVms(this.ctx, s, instanceIds, signal);
    });
  }

  describePoolFirewall(ref: PoolRef): Promise<PoolFirewallDescription[]> {
    return this.run('compute.firewalls.get', (s) => describePoolFirewalls(this.ctx, s, ref));
  }

  deletePoolResources(ref: PoolRef): Promise<string[]> {
    return this.run('compute.firewalls.delete', async (s) => {
      const left = await listInstances(this.ctx, s, ref);
      if (left.length > 0) {
        this.sink({ level: 'info', message: `keeping the firewall rules of pool ${ref.pool}: ${left.length} instance${left.length === 1 ? '' : 's'} left (${left.map((i) => i.name).join(', ')})` });
        return [];
      }
      return deletePoolFirewalls(this.ctx, s, ref);
    });
  }
}
