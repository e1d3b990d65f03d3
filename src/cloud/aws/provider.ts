import { OperationError, isWinK8sError } from '../../errors.js';
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
  RunPowerShellOptions,
  RunPowerShellResult,
  ResolvedImage,
  ResolvedPlacement,
  VmResult,
  WizardChoices,
} from '../provider.js';
import { createClients, profileRegion, type AwsClients } from './clients.js';
import { THROTTLING_CODES, isNetworkFailure, toWinK8sError } from './errors.js';
import { describeImage, isWindows, resolveImage, toDetails, type ImageDetails } from './images.js';
import { DEFAULT_INSTANCE_TYPE, checkInstanceType } from './instance-types.js';
import type { NestedMode } from './nested-virtualization.js';
import { consoleOutput, createVms, deleteVms, listVms, type InstanceContext, type InstanceTiming } from './instances.js';
import { resolvePlacement } from './placement.js';
import { readQuota } from './quota.js';
import { wizardChoices } from './choices.js';
import { resolveRegion } from './region.js';
import { runPowerShellViaSsm } from './run-command.js';
import { defaultRetryStrategy, reportingRetryStrategy, type RetryNotice, type RetryStrategyV2 } from './retry.js';
import { deletePoolGroups, ensureFirewall, type DeleteTiming } from './security-group.js';
import { describePoolGroups } from './pool-firewall.js';

export interface AwsTuning extends InstanceTiming, DeleteTiming {}

/** Production pacing: Windows instances take 15-60 s to reach running. */
export const DEFAULT_TUNING: AwsTuning = {
  pollMinMs: 5_000,
  pollMaxMs: 20_000,
  runningTimeoutMs: 15 * 60_000,
  terminatedTimeoutMs: 15 * 60_000,
  pageSize: 500,
  dependencyTimeoutMs: 5 * 60_000,
  dependencyRetryMs: 5_000,
};

export interface AwsProviderOptions {
  sink: EventSink;
  /** --region; else AWS_REGION, AWS_DEFAULT_REGION, the control plane's region, the AWS profile's. */
  region?: string | undefined;
  /** Default m5.large. */
  instanceType?: string | undefined;
  diskSizeGb: number;
  /** IAM instance profile name or ARN. */
  instanceProfile?: string | undefined;
  /** --aws-external-ip: a public IPv4 address per node; none by default. */
  publicIp?: boolean | undefined;
  /**
   * --aws-control-plane-groups: nodes also join the control plane's security groups. Off by
   * default: membership would give every node every port of the control plane, etcd included.
   */
  controlPlaneGroups?: boolean | undefined;
  subnetId?: string | undefined;
  allowRdpFrom?: string | undefined;
  /** Fallbacks for the ImageRequest fields of the same names. */
  image?: string | undefined;
  edition: 'core' | 'full';
  /** Tests pass a zero-delay strategy; production uses 8 attempts with full-jitter backoff. */
  retryStrategy?: RetryStrategyV2 | undefined;
  /** A custom endpoint for EC2 and SSM (tests, VPC endpoints); AWS_ENDPOINT_URL works too. */
  endpoint?: string | undefined;
  /**
   * Where the control plane runs, when the caller knows it before resolvePlacement: its region
   * is the fallback for every call, resolveImage included.
   */
  controlPlane?: Placement | undefined;
  /** Polling and timeouts; tests shorten them. */
  tuning?: Partial<AwsTuning> | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** --hyperv-isolation: the instance type must run the Hyper-V role (nested virtualization). */
  nestedVirtualization?: boolean | undefined;
}

interface Session extends AwsClients {
  regionSource: string;
}

export function createAwsProvider(opts: AwsProviderOptions): CloudProvider {
  return new AwsProvider(opts);
}

class AwsProvider implements CloudProvider {
  readonly cloud = 'aws' as const;
  private readonly tuning: AwsTuning;
  private readonly images = new Map<string, ImageDetails>();
  private session: Promise<Session> | undefined;
  private controlPlane: Placement | undefined;
  private throttleWarned = false;
  /** How the instance type runs Hyper-V (--hyperv-isolation), once checked. */
  private nested: NestedMode | undefined;

  constructor(private readonly opts: AwsProviderOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...opts.tuning };
    this.controlPlane = opts.controlPlane;
  }

  private get sink(): EventSink {
    return this.opts.sink;
  }

  private get instanceType(): string {
    return this.opts.instanceType ?? DEFAULT_INSTANCE_TYPE;
  }

  /** Clients are built on first use, once the region is known (it may come from the control plane). */
  private connect(): Promise<Session> {
    this.session ??= (async () => {
      const choice = await resolveRegion(this.opts.region, this.opts.env ?? process.env, this.controlPlane, profileRegion);
      const retryStrategy = reportingRetryStrategy(this.opts.retryStrategy ?? defaultRetryStrategy(), (n) => this.onRetry(n));
      const clients = createClients(choice.region, { endpoint: this.opts.endpoint, retryStrategy });
      this.sink({ level: 'debug', message: `AWS region ${choice.region} (from ${choice.source})${clients.endpoint ? `, endpoint ${clients.endpoint}` : ''}` });
      if (!choice.known) {
        this.sink({ level: 'warn', message: `${choice.region} (from ${choice.source}) is not a region win-k8s knows; trying it as a region newer than win-k8s's list (if it is a typo, the calls fail to reach it)` });
      }
      return { ...clients, regionSource: choice.source };
    })().catch((err: unknown) => {
      // A later call may know more (resolvePlacement brings the control plane's region).
      this.session = undefined;
      throw err;
    });
    return this.session;
  }

  private onRetry(n: RetryNotice): void {
    const throttled = n.errorType === 'THROTTLING' || THROTTLING_CODES.includes(n.code);
    if (throttled && !this.throttleWarned) {
      this.throttleWarned = true;
      this.sink({ level: 'warn', message: `AWS is throttling API calls (${n.code}); retrying with backoff. Lower --concurrency if this goes on.` });
    }
    this.sink({ level: 'debug', message: `AWS call failed (${n.code}), attempt ${n.attempt}` });
  }

  /** The last line of defence: whatever escaped a module's own mapping still gets an exit code and a hint. */
  private async run<T>(action: string, fn: (s: Session) => Promise<T>): Promise<T> {
    let session: Session | undefined;
    try {
      session = await this.connect();
      return await fn(session);
    } catch (err) {
      const context = { action, region: session?.region, endpoint: session?.endpoint };
      // Modules know the call but not the endpoint; an unreachable custom endpoint is named.
      const cause = isWinK8sError(err) ? err.cause : err;
      if (session?.endpoint && isNetworkFailure(cause)) throw toWinK8sError(cause, context);
      throw isWinK8sError(err) ? err : toWinK8sError(err, context);
    }
  }

  private instanceContext(s: Session, nested?: NestedMode): InstanceContext {
    return {
      ec2: s.ec2,
      region: s.region,
      sink: this.sink,
      timing: this.tuning,
      launch: { instanceType: this.instanceType, diskSizeGb: this.opts.diskSizeGb, instanceProfile: this.opts.instanceProfile, publicIp: this.opts.publicIp, nested },
      imageDetails: (id) => this.imageDetails(s, id),
    };
  }

  private async imageDetails(s: Session, id: string): Promise<ImageDetails> {
    const cached = this.images.get(id);
    if (cached) return cached;
    const image = await describeImage(s, id);
    if (!image || !isWindows(image)) throw new OperationError(`image ${id} is not a Windows image visible in ${s.region}`, { hint: 'resolve the image again, or give a Windows AMI with --image' });
    const details = toDetails(image, /Containers/i.test(image.Name ?? ''));
    this.images.set(id, details);
    return details;
  }

  resolveImage(req: ImageRequest): Promise<ResolvedImage> {
    return this.run('resolve the image', async (s) => {
      const details = await resolveImage({ ...s, sink: this.sink }, { ...req, edition: req.edition ?? this.opts.edition, image: req.image ?? this.opts.image });
      this.images.set(details.id, details);
      return { id: details.id, name: details.name, containersPreinstalled: details.containersPreinstalled };
    });
  }

  resolvePlacement(req: PlacementRequest): Promise<ResolvedPlacement> {
    if (req.controlPlane && !this.controlPlane) this.controlPlane = req.controlPlane;
    const options = {
      subnetId: this.opts.subnetId,
      instanceType: this.instanceType,
      controlPlaneGroups: this.opts.controlPlaneGroups,
      nestedVirtualization: this.opts.nestedVirtualization,
      onNested: (mode: NestedMode) => (this.nested = mode),
    };
    return this.run('resolve the placement', (s) => resolvePlacement({ ec2: s.ec2, region: s.region, regionSource: s.regionSource, sink: this.sink }, options, req));
  }

  /** The On-Demand Standard vCPU and the gp3 storage quotas against what the region uses. */
  readQuota(req: QuotaRequest): Promise<QuotaReport> {
    return this.run('read the vCPU quota', (s) => readQuota({ ec2: s.ec2, region: s.region }, this.instanceType, req.count, this.opts.diskSizeGb));
  }

  wizardChoices(req: PlacementRequest): Promise<WizardChoices> {
    if (req.controlPlane && !this.controlPlane) this.controlPlane = req.controlPlane;
    return this.run('list subnets and instance types', async (s) => {
      // The cluster's VPC first: nodes must sit where the control plane can reach them.
      const vpc = req.controlPlane ? (await this.resolvePlacement(req).catch(() => undefined))?.networkId : undefined;
      return wizardChoices({ ec2: s.ec2, region: s.region }, vpc);
    });
  }

  ensureFirewall(ref: PoolRef, placement: ResolvedPlacement): Promise<FirewallResult> {
    return this.run('ensure the security group', (s) => ensureFirewall({ ec2: s.ec2, region: s.region, sink: this.sink }, ref, placement, this.opts.allowRdpFrom));
  }

  createVms(req: CreateVmsRequest): Promise<VmResult[]> {
    return this.run('ec2:RunInstances', async (s) => {
      if (this.opts.nestedVirtualization && !this.nested) {
        this.nested = (await checkInstanceType({ ec2: s.ec2, region: s.region, sink: this.sink }, this.instanceType, undefined, { nestedVirtualization: true })).nested;
      }
      return createVms(this.instanceContext(s, this.opts.nestedVirtualization ? this.nested : undefined), req);
    });
  }

  consoleOutput(instanceId: string): Promise<string> {
    return this.run('ec2:GetConsoleOutput', (s) => consoleOutput(this.instanceContext(s), instanceId));
  }

  runPowerShell(instanceId: string, script: string, opts: RunPowerShellOptions): Promise<RunPowerShellResult> {
    return this.run('ssm:SendCommand', (s) => runPowerShellViaSsm(s.ssm, instanceId, script, { ...opts, pollMs: this.tuning.pollMinMs }));
  }

  listVms(ref: { cluster: string; pool?: string | undefined }): Promise<ManagedVm[]> {
    return this.run('ec2:DescribeInstances', (s) => listVms(this.instanceContext(s), ref));
  }

  deleteVms(instanceIds: string[], signal?: AbortSignal): Promise<void> {
    return this.run('ec2:TerminateInstances', (s) => deleteVms(this.instanceContext(s), instanceIds, signal));
  }

  describePoolFirewall(ref: PoolRef): Promise<PoolFirewallDescription[]> {
    return this.run('ec2:DescribeSecurityGroups', (s) => describePoolGroups({ ec2: s.ec2, region: s.region, sink: this.sink }, ref));
  }

  deletePoolResources(ref: PoolRef): Promise<string[]> {
    return this.run('ec2:DeleteSecurityGroup', async (s) => {
      const left = await listVms(this.instanceContext(s), ref);
      if (left.length > 0) {
        this.sink({ level: 'info', message: `keeping the security group of pool ${ref.pool}: ${left.length} instance${left.length === 1 ? '' : 's'} left (${left.map((v) => v.instanceId).join(', ')})` });
        return [];
      }
      return deletePoolGroups({ ec2: s.ec2, region: s.region, sink: this.sink }, ref, this.tuning);
    });
  }
}
