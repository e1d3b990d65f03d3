import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { UsageError } from '../../errors.js';
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
  RunPowerShellOptions,
  RunPowerShellResult,
  VmResult,
  WizardChoices,
} from '../provider.js';
import { wizardChoices } from './choices.js';
import { consoleOutput } from './console.js';
import { toWinK8sError } from './errors.js';
import { deleteBootstrapExtensions } from './extension.js';
import { resolveImage } from './images.js';
import { assertMarketplaceImageIn } from './marketplace.js';
import { deleteOrphanNics } from './network-interface.js';
import { deletePoolNsgs, ensureFirewall } from './network-security.js';
import { describePoolNsgs } from './pool-firewall.js';
import { lroOptions, type LroOptions } from './operations.js';
import { resolvePlacement } from './placement.js';
import { readQuota } from './quota.js';
import { runPowerShell } from './run-command.js';
import { DEFAULT_TUNING, connect, type AzureContext, type AzureTuning, type Session } from './session.js';
import { DEFAULT_VM_SIZE, osDiskGb } from './vm-model.js';
import { createVms, deleteVms, listVms } from './vms.js';

export interface AzureProviderOptions {
  sink: EventSink;
  /** Else AZURE_SUBSCRIPTION_ID, else the control plane's providerID. */
  subscription?: string | undefined;
  /** Else the control plane's resource group. */
  resourceGroup?: string | undefined;
  /** Else the control plane VM's (or the subnet's VNet's) location. */
  location?: string | undefined;
  /** Default Standard_D4s_v5. */
  vmSize?: string | undefined;
  /**
   * --disk-size. Undefined: the image's own size (a Windows Server marketplace image is 127 GiB,
   * and ARM refuses anything smaller), so no default below it can be sent by accident.
   */
  diskSizeGb?: number | undefined;
  /** Premium_LRS (default), StandardSSD_LRS, Standard_LRS ... */
  diskType?: string | undefined;
  subnetId?: string | undefined;
  allowRdpFrom?: string | undefined;
  image?: string | undefined;
  edition: 'core' | 'full';
  /**
   * When set, each VM's generated admin password is appended there as `<node>\t<password>` (mode
   * 0600) once ARM accepted that VM; otherwise it is never stored.
   */
  adminPasswordFile?: string | undefined;
  /** Default: DefaultAzureCredential (az login, environment, managed identity ...). */
  credential?: TokenCredential | undefined;
  /** ARM endpoint (sovereign clouds, tests); AZURE_ARM_ENDPOINT works too. */
  endpoint?: string | undefined;
  /** Tests route requests to a local fake through it. */
  httpClient?: HttpClient | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  controlPlane?: Placement | undefined;
  tuning?: Partial<AzureTuning> | undefined;
  /** --hyperv-isolation: the machine must run the Hyper-V role (nested virtualization). */
  nestedVirtualization?: boolean | undefined;
}

export function createAzureProvider(opts: AzureProviderOptions): CloudProvider {
  return new AzureProvider(opts);
}

/**
 * The CloudProvider for Azure: holds what a run settles on (subscription, resource group,
 * location, the control plane) and hands each call to the module of its resource.
 */
class AzureProvider implements CloudProvider {
  readonly cloud = 'azure' as const;
  private readonly tuning: AzureTuning;
  private session: Promise<Session> | undefined;
  private controlPlane: Placement | undefined;
  private location: string | undefined;
  private resourceGroup: string | undefined;
  /** The last placement asked for: the image is checked in its location. */
  private placing: Promise<ResolvedPlacement> | undefined;
  /** VMs whose extension command carries a bootstrap token (join, not provision). */
  private readonly tokenBearing = new Set<string>();

  constructor(private readonly opts: AzureProviderOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.controlPlane = opts.controlPlane;
    this.location = opts.location;
    this.resourceGroup = opts.resourceGroup;
  }

  private get sink(): EventSink {
    return this.opts.sink;
  }

  private get env(): NodeJS.ProcessEnv {
    return this.opts.env ?? process.env;
  }

  private get vmSize(): string {
    return this.opts.vmSize ?? DEFAULT_VM_SIZE;
  }

  /** Options for every long-running operation: the poll interval, and the caller's signal. */
  private lro(abortSignal?: AbortSignal): LroOptions {
    return lroOptions(this.tuning.pollIntervalMs, abortSignal);
  }

  private azureControlPlane(): Extract<Placement, { cloud: 'azure' }> | undefined {
    return this.controlPlane?.cloud === 'azure' ? this.controlPlane : undefined;
  }

  private rg(): string {
    const rg = this.resourceGroup ?? this.azureControlPlane()?.resourceGroup;
    if (!rg) throw new UsageError('no Azure resource group given', { field: '--resource-group', hint: 'pass --resource-group; by default win-k8s uses the control plane VM\'s resource group' });
    return rg;
  }

  private connect(): Promise<Session> {
    this.session ??= connect({
      sink: this.sink,
      subscription: this.opts.subscription ?? this.env.AZURE_SUBSCRIPTION_ID ?? this.azureControlPlane()?.subscription,
      endpoint: this.opts.endpoint,
      credential: this.opts.credential,
      httpClient: this.opts.httpClient,
      env: this.env,
      tuning: this.tuning,
    }).catch((err: unknown) => {
      this.session = undefined;
      throw err;
    });
    return this.session;
  }

  /** One call: the session, what the modules need of this run, and ARM's errors mapped to win-k8s's. */
  private async run<T>(action: string, fn: (ctx: AzureContext) => Promise<T>): Promise<T> {
    let session: Session | undefined;
    try {
      session = await this.connect();
      return await fn({ s: session, sink: this.sink, lro: (abortSignal) => this.lro(abortSignal), rg: () => this.rg() });
    } catch (err) {
      throw toWinK8sError(err, { action, endpoint: session?.endpoint });
    }
  }

  async resolveImage(req: ImageRequest): Promise<ResolvedImage> {
    const explicit = req.image ?? this.opts.image;
    const image = resolveImage({ ...req, edition: req.edition ?? this.opts.edition, image: explicit });
    // Checked here, before the NSG and the first NIC exist, not when ARM refuses the VM.
    osDiskGb(image.id, this.opts.diskSizeGb);
    // Is the marketplace SKU (and version) published where the placement put the pool? join
    // starts the placement right after this call, in parallel: one turn lets it begin. A failed
    // placement is its own finding, and without one the location is unknown: no check then.
    await Promise.resolve();
    const placed = await this.placing?.catch(() => undefined);
    if (placed) await this.run('read the marketplace image', (ctx) => assertMarketplaceImageIn(ctx, image.id, placed.region, explicit !== undefined));
    return image;
  }

  resolvePlacement(req: PlacementRequest): Promise<ResolvedPlacement> {
    if (req.controlPlane && !this.controlPlane) this.controlPlane = req.controlPlane;
    return (this.placing = this.run('resolve the placement', (ctx) =>
      resolvePlacement(ctx, {
        subnetId: this.opts.subnetId,
        controlPlane: this.azureControlPlane(),
        flagLocation: this.opts.location,
        location: this.location,
        settleLocation: (location) => (this.location ??= location),
        vmSize: this.vmSize,
        nestedVirtualization: this.opts.nestedVirtualization,
      }),
    ));
  }

  /** The regional and the size family's vCPU quota of the placement's location. */
  readQuota(req: QuotaRequest): Promise<QuotaReport> {
    return this.run('read the vCPU quota', (ctx) => readQuota(ctx, req.placement.region, this.vmSize, req.count));
  }

  ensureFirewall(ref: PoolRef, placement: ResolvedPlacement): Promise<FirewallResult> {
    return this.run('create the network security group', (ctx) => ensureFirewall(ctx, ref, placement, this.opts.allowRdpFrom));
  }

  createVms(req: CreateVmsRequest): Promise<VmResult[]> {
    return this.run('create the VMs', (ctx) =>
      createVms(ctx, {
        vmSize: this.vmSize,
        diskSizeGb: this.opts.diskSizeGb,
        diskType: this.opts.diskType,
        adminPasswordFile: this.opts.adminPasswordFile,
        onTokenBearing: (id) => this.tokenBearing.add(id),
      }, req),
    );
  }

  /** The bootstrap extensions of the VMs this run gave a token (see deleteBootstrapExtensions). */
  forgetBootstrap(instanceIds: string[]): Promise<void> {
    const ids = [...new Set(instanceIds)].filter((id) => this.tokenBearing.has(id));
    if (ids.length === 0) return Promise.resolve();
    return this.run('delete the bootstrap extension', (ctx) => deleteBootstrapExtensions(ctx, ids, (id) => this.tokenBearing.delete(id)));
  }

  consoleOutput(instanceId: string): Promise<string> {
    return this.run('read the serial console', (ctx) => consoleOutput(ctx, this.opts.httpClient, instanceId));
  }

  listVms(ref: { cluster: string; pool?: string | undefined }): Promise<ManagedVm[]> {
    return this.run('list the VMs', (ctx) => listVms(ctx, ref));
  }

  deleteVms(instanceIds: string[], signal?: AbortSignal): Promise<void> {
    return this.run('delete the VMs', (ctx) => deleteVms(ctx, instanceIds, signal));
  }

  /**
   * VNets of the subscription (the control plane's first; only the location's when it is known)
   * and the VM sizes the location offers.
   */
  wizardChoices(req: PlacementRequest): Promise<WizardChoices> {
    if (req.controlPlane && !this.controlPlane) this.controlPlane = req.controlPlane;
    return this.run('list virtual networks and VM sizes', async (ctx) => {
      const placement = this.azureControlPlane() || this.opts.subnetId ? await this.resolvePlacement(req).catch(() => undefined) : undefined;
      const location = this.location ?? placement?.region;
      return wizardChoices(ctx, { placement, location, resourceGroup: this.resourceGroup ?? this.azureControlPlane()?.resourceGroup, vmSize: this.vmSize });
    });
  }

  runPowerShell(instanceId: string, script: string, opts: RunPowerShellOptions): Promise<RunPowerShellResult> {
    return this.run('run the script with Azure Run Command', (ctx) => runPowerShell(ctx, instanceId, script, opts));
  }

  describePoolFirewall(ref: PoolRef): Promise<PoolFirewallDescription[]> {
    return this.run('list the network security groups', (ctx) => describePoolNsgs(ctx, ref));
  }

  /** The pool's NSG, once no VM of the pool is left, and NICs that lost their VM on the way. */
  deletePoolResources(ref: PoolRef): Promise<string[]> {
    return this.run('delete the network security group', async (ctx) => {
      const left = await this.listVms(ref);
      if (left.length > 0) {
        this.sink({ level: 'info', message: `keeping the network security group of pool ${ref.pool}: ${left.length} VM${left.length === 1 ? '' : 's'} left` });
        return [];
      }
      return [...(await deleteOrphanNics(ctx, ref)), ...(await deletePoolNsgs(ctx, ref))];
    });
  }
}
