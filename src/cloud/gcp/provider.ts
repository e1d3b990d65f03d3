import { randomUUID } from 'node:crypto';
import { InterruptedError, OperationError, UsageError, isWinK8sError } from '../../errors.js';
import type { Placement } from '../../cluster/provider-id.js';
import type { EventSink } from '../../output/output.js';
import type {
  CloudProvider,
  CreateVmsRequest,
  FirewallResult,
  ImageRequest,
  ManagedVm,
  PlacementRequest,
  PoolRef,
  ResolvedImage,
  ResolvedPlacement,
  VmResult,
  WizardChoices,
} from '../provider.js';
import { forEachBounded } from '../aws/concurrency.js';
import { anonymousAuthClient, createClients, type GceAuthClient, type GceClients, type protos } from './clients.js';
import { describeOperationError, isNetworkFailure, isNotFound, isStaleFingerprint, normalizeGcpError, toWinK8sError } from './errors.js';
import { SCRIPT_KEY, scriptMetadata } from './metadata.js';
import {
  LABEL_CLUSTER,
  LABEL_NODE,
  LABEL_POOL,
  checkInstanceName,
  labelFilter,
  labelValue,
  lastSegment,
  poolLabels,
  poolTag,
} from './names.js';
import { DEFAULT_RETRY, withRetry, type RetryOptions, type RetryNotice } from './retry.js';
import { WINDOWS_IMAGE_PROJECT, resolveImage } from './images.js';
import { wizardChoices } from './choices.js';
import { NODE_PORTS, deletePoolFirewalls, ensureFirewall } from './firewall.js';
import { DEFAULT_MACHINE_TYPE, resolvePlacement, type PlacementOptions } from './placement.js';
import { opError, waitOperation, type GceContext, type Operation, type OperationTiming, type Scope } from './operations.js';

export { LABEL_CLUSTER, LABEL_NODE, LABEL_POOL, SCRIPT_KEY };
export { anonymousAuthClient };
export type { GceAuthClient };

export const DEFAULT_DISK_TYPE = 'pd-balanced';
export { WINDOWS_IMAGE_PROJECT };

export { DEFAULT_MACHINE_TYPE, NODE_PORTS };

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

type Instance = protos.google.cloud.compute.v1.IInstance;

/**
 * Compute Engine statuses in the vocabulary list and the CLI share with EC2. TERMINATED on GCE
 * is a stopped VM that still exists (EC2's "terminated" means gone), so it maps to "stopped".
 */
const STATES: Record<string, string> = {
  PROVISIONING: 'pending',
  STAGING: 'pending',
  REPAIRING: 'pending',
  RUNNING: 'running',
  STOPPING: 'stopping',
  SUSPENDING: 'stopping',
  STOPPED: 'stopped',
  SUSPENDED: 'stopped',
  TERMINATED: 'stopped',
};

export function vmState(status: string | null | undefined): string {
  return STATES[status ?? ''] ?? (status ?? 'unknown').toLowerCase();
}

/**
 * What consoleOutput keeps of a console: twice the API's 1 MB buffer, so one full buffer read
 * after a gap still comes with what was read before it. The join needs only the newest lines.
 */
const CONSOLE_KEEP_CHARS = 2 * 1024 * 1024;

/** setMetadata attempts per instance when another writer keeps changing the fingerprint. */
const FINGERPRINT_ATTEMPTS = 5;

class GcpProvider implements CloudProvider {
  readonly cloud = 'gcp' as const;
  private readonly tuning: GcpTuning;
  private clients: GceClients | undefined;
  private controlPlane: Placement | undefined;
  private rateWarned = false;
  private readonly imageDisk = new Map<string, number>();
  /** Per instance: the serial port position to read from next, and the text read so far. */
  private readonly serial = new Map<string, { next: number; text: string }>();

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

  private instanceResource(req: CreateVmsRequest, s: Scope, nodeName: string, script: string): Instance {
    const diskType = this.opts.diskType ?? DEFAULT_DISK_TYPE;
    return {
      name: nodeName,
      machineType: `zones/${s.zone}/machineTypes/${this.machineType}`,
      disks: [
        {
          boot: true,
          autoDelete: true,
          type: 'PERSISTENT',
          initializeParams: { sourceImage: req.image.id, diskSizeGb: String(this.opts.diskSizeGb), diskType: `zones/${s.zone}/diskTypes/${diskType}` },
        },
      ],
      networkInterfaces: [
        {
          network: req.placement.networkId,
          subnetwork: req.placement.subnetId,
          accessConfigs: this.opts.externalIp ? [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] : [],
        },
      ],
      shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
      // Off unless asked: Compute Engine shows the guest VT-x only on request, which the Hyper-V role needs.
      ...(this.opts.nestedVirtualization ? { advancedMachineFeatures: { enableNestedVirtualization: true } } : {}),
      labels: { ...poolLabels(req.ref), [LABEL_NODE]: labelValue(nodeName) },
      tags: { items: [poolTag(req.ref)] },
      metadata: { items: [{ key: SCRIPT_KEY, value: script }] },
    };
  }

  createVms(req: CreateVmsRequest): Promise<VmResult[]> {
    return this.run('compute.instances.insert', async (s) => {
      if (req.vms.length === 0) return [];
      const imageGb = this.imageDisk.get(req.image.id);
      if (imageGb !== undefined && this.opts.diskSizeGb < imageGb) {
        throw new UsageError(`${this.opts.diskSizeGb} GB is smaller than the image's ${imageGb} GB disk`, { field: '--disk-size', hint: `use at least ${imageGb}` });
      }
      // Names and scripts are checked before the first insert: such a problem is the whole
      // batch's, and must not leave half a pool behind.
      const prepared = req.vms.map((vm) => {
        checkInstanceName(vm.nodeName);
        const meta = scriptMetadata(vm.nodeName, vm.script);
        if (meta.compressed) this.sink({ level: 'debug', subject: vm.nodeName, message: `bootstrap sent compressed (${(meta.bytes / 1024).toFixed(1)} KB of metadata)` });
        return { nodeName: vm.nodeName, resource: this.instanceResource(req, s, vm.nodeName, meta.value) };
      });
      const results: VmResult[] = req.vms.map((vm) => ({ nodeName: vm.nodeName }));
      // Credentials, permissions or reachability failing for one VM fail for all: stop starting more.
      let stopReason: string | undefined;
      await forEachBounded(prepared, req.concurrency, async ({ nodeName, resource }, i) => {
        const result = results[i]!;
        if (req.signal.aborted || stopReason) {
          result.error = `not started: ${req.signal.aborted ? 'interrupted' : stopReason}`;
          return;
        }
        try {
          Object.assign(result, await this.createOne(s, req, nodeName, resource));
        } catch (err) {
          const e = toWinK8sError(err, { action: 'compute.instances.insert', project: s.project, zone: s.zone, endpoint: this.clients?.endpoint, machineType: this.machineType });
          if (e.exitCode === 3) stopReason ??= e.message;
          result.error = e.message;
          this.sink({ level: 'warn', subject: nodeName, message: `not created: ${e.message}` });
        }
      });
      return results;
    });
  }

  private async createOne(s: Scope, req: CreateVmsRequest, nodeName: string, resource: Instance): Promise<Partial<VmResult>> {
    const started = Date.now();
    const existing = await this.findInstance(s, nodeName);
    if (existing) {
      if (existing.labels?.[LABEL_CLUSTER] !== labelValue(req.ref.cluster) || existing.labels?.[LABEL_POOL] !== labelValue(req.ref.pool)) {
        return { error: `an instance named ${nodeName} already exists in ${s.zone} and is not a win-k8s node of pool ${req.ref.pool}. Choose another node name.` };
      }
      if (vmState(existing.status) === 'stopped' || vmState(existing.status) === 'stopping') {
        return { instanceId: nodeName, error: `instance ${nodeName} of this node already exists and is ${vmState(existing.status)} (${existing.status ?? ''}). Start it, or remove the node and create it again.` };
      }
      this.sink({ level: 'info', subject: nodeName, message: `instance ${nodeName} already exists (${existing.status ?? 'unknown'}); not creating another` });
      const ip = existing.networkInterfaces?.[0]?.networkIP;
      return { instanceId: nodeName, ...(ip ? { privateIp: ip } : {}) };
    }
    this.sink({ level: 'info', subject: nodeName, message: `creating ${this.machineType} instance from ${req.image.name} in ${lastSegment(req.placement.subnetId)}` });
    // The same requestId on every retry: Compute Engine then creates the instance once.
    const requestId = randomUUID();
    // No signal for the insert itself: an aborted insert may still create the instance.
    const [lro] = await this.call('compute.instances.insert', (c) => c.instances.insert({ project: s.project, zone: s.zone, requestId, instanceResource: resource }));
    const accepted = (lro as { latestResponse?: Operation }).latestResponse;
    // Between this line and the next one for this node, minutes can pass with nothing to show.
    this.sink({ level: 'info', subject: nodeName, message: `insert of instance ${nodeName} accepted${accepted?.name ? ` (operation ${accepted.name})` : ''}; waiting until it runs` });
    let done: Operation;
    try {
      done = await waitOperation(this.ctx, accepted, s, 'zone', req.signal);
    } catch (err) {
      // The insert was accepted: the instance exists, and the interrupted run must list it for removal.
      if (err instanceof InterruptedError) return { instanceId: nodeName, error: `interrupted before instance ${nodeName} was running; it keeps starting (remove the node to delete it)` };
      throw err;
    }
    const error = opError(done);
    if (error) {
      const d = describeOperationError(error, { machineType: this.machineType, zone: s.zone, project: s.project });
      this.sink({ level: 'warn', subject: nodeName, message: `not created: ${d.code}` });
      return { error: d.message };
    }
    const instance = await this.findInstance(s, nodeName);
    const ip = instance?.networkInterfaces?.[0]?.networkIP ?? undefined;
    const seconds = Math.round((Date.now() - started) / 1000);
    this.sink({ level: 'success', subject: nodeName, message: `instance ${nodeName} ${instance?.status ?? 'created'}${ip ? ` at ${ip}` : ''} after ${seconds} s` });
    return { instanceId: nodeName, ...(ip ? { privateIp: ip } : {}), provisionSeconds: seconds };
  }

  private async findInstance(s: Scope, name: string): Promise<Instance | undefined> {
    try {
      const [instance] = await this.call('compute.instances.get', (c) => c.instances.get({ project: s.project, zone: s.zone, instance: name }));
      return instance;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Serial port 1 of an instance, all of it read so far (at most CONSOLE_KEEP_CHARS, the newest).
   *
   * Without `start` the API answers with its whole buffer, up to 1 MB, on every poll of every
   * booting VM. Each call here asks from the `next` of the previous one, so only new bytes travel.
   * When more than the 1 MB buffer was written between two reads, the API moves `start` up to the
   * oldest byte it still holds: the gap is named in the text instead of silently joined over.
   */
  consoleOutput(instanceId: string): Promise<string> {
    return this.run('compute.instances.getSerialPortOutput', async (s) => {
      const key = `${s.project}/${s.zone}/${instanceId}`;
      const read = async (from: number) => {
        const [out] = await this.call('compute.instances.getSerialPortOutput', (c) => c.instances.getSerialPortOutput({ project: s.project, zone: s.zone, instance: instanceId, port: 1, start: from }));
        const contents = out.contents ?? '';
        const start = out.start == null ? from : Number(out.start);
        return { contents, start, next: out.next == null ? start + Buffer.byteLength(contents) : Number(out.next) };
      };
      try {
        let seen = this.serial.get(key) ?? { next: 0, text: '' };
        let out = await read(seen.next);
        if (out.next < seen.next) {
          // The port counts from 0 again: an instance of that name was deleted and created anew.
          seen = { next: 0, text: '' };
          out = await read(0);
        }
        let text = seen.text;
        if (out.start > seen.next) text += `\n(${out.start - seen.next} bytes of console output were discarded by Compute Engine before they were read)\n`;
        text += out.contents;
        if (text.length > CONSOLE_KEEP_CHARS) text = text.slice(text.length - CONSOLE_KEEP_CHARS);
        this.serial.set(key, { next: out.next, text });
        return text;
      } catch (err) {
        if (isNotFound(err)) throw new OperationError(`instance ${instanceId} does not exist in ${s.project}/${s.zone}`, { cause: err, hint: '`win-k8s list` shows the instances of the cluster' });
        throw err;
      }
    });
  }

  /**
   * Takes windows-startup-script-ps1 (the bootstrap, with the join token) out of the instances'
   * metadata, where anything on the VM can read it from the metadata server for the VM's whole
   * life. setMetadata replaces the whole list and takes only the current fingerprint, so each
   * instance is read, its other keys written back unchanged, and a fingerprint that went stale
   * in between (the guest agent writes keys too) is read again and retried.
   */
  forgetBootstrap(instanceIds: string[]): Promise<void> {
    return this.run('compute.instances.setMetadata', async (s) => {
      const failures: string[] = [];
      await forEachBounded([...new Set(instanceIds)], 10, async (name) => {
        try {
          await this.forgetOne(s, name);
        } catch (err) {
          failures.push(`${name}: ${toWinK8sError(err, { action: 'compute.instances.setMetadata', project: s.project, zone: s.zone }).message}`);
        }
      });
      if (failures.length > 0) {
        throw new OperationError(`could not remove the bootstrap from the metadata of ${failures.length} instance${failures.length === 1 ? '' : 's'}:\n${failures.join('\n')}`, {
          hint: `remove it by hand: \`gcloud compute instances remove-metadata <instance> --zone ${s.zone} --keys ${SCRIPT_KEY}\``,
        });
      }
    });
  }

  private async forgetOne(s: Scope, name: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const instance = await this.findInstance(s, name);
      if (!instance) return;
      if (!instance.labels?.[LABEL_CLUSTER]) throw new OperationError(`instance ${name} was not created by win-k8s (no ${LABEL_CLUSTER} label); its metadata is left alone`);
      const items = instance.metadata?.items ?? [];
      if (!items.some((i) => i.key === SCRIPT_KEY)) return;
      const fingerprint = instance.metadata?.fingerprint ?? undefined;
      const metadataResource = { ...(fingerprint ? { fingerprint } : {}), items: items.filter((i) => i.key !== SCRIPT_KEY).map((i) => ({ key: i.key, value: i.value })) };
      try {
        const requestId = randomUUID();
        const [lro] = await this.call('compute.instances.setMetadata', (c) => c.instances.setMetadata({ project: s.project, zone: s.zone, instance: name, requestId, metadataResource }));
        const done = await waitOperation(this.ctx, (lro as { latestResponse?: Operation }).latestResponse, s, 'zone');
        const error = opError(done);
        if (error) throw new OperationError(describeOperationError(error, { zone: s.zone }).message);
        this.sink({ level: 'debug', subject: name, message: `${SCRIPT_KEY} removed from the metadata of ${name}` });
        return;
      } catch (err) {
        if (!isStaleFingerprint(err) || attempt >= FINGERPRINT_ATTEMPTS) throw err;
        this.sink({ level: 'debug', subject: name, message: `metadata of ${name} changed while it was updated (stale fingerprint); reading it again` });
      }
    }
  }

  private async listInstances(s: Scope, ref: { cluster: string; pool?: string | undefined }): Promise<Instance[]> {
    const all: Instance[] = [];
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const [items, , response] = await this.call('compute.instances.list', (c) =>
        c.instances.list({ project: s.project, zone: s.zone, filter: labelFilter(ref), maxResults: 500, ...(token ? { pageToken: token } : {}) }, { autoPaginate: false }),
      );
      all.push(...items);
      pageToken = response?.nextPageToken ?? undefined;
    } while (pageToken);
    return all;
  }

  listVms(ref: { cluster: string; pool?: string | undefined }): Promise<ManagedVm[]> {
    return this.run('compute.instances.list', async (s) => {
      const instances = await this.listInstances(s, ref);
      return instances
        .map((i): ManagedVm => {
          const ip = i.networkInterfaces?.[0]?.networkIP;
          return {
            instanceId: i.name ?? '',
            nodeName: i.labels?.[LABEL_NODE] ?? i.name ?? '',
            pool: i.labels?.[LABEL_POOL] ?? '',
            cluster: i.labels?.[LABEL_CLUSTER] ?? ref.cluster,
            state: vmState(i.status),
            ...(ip ? { privateIp: ip } : {}),
          };
        })
        .sort((a, b) => a.nodeName.localeCompare(b.nodeName));
    });
  }

  /**
   * Deletes win-k8s's instances (ids are instance names in the zone) and waits until they
   * are gone. An instance without win-k8s's cluster label is refused: a typo must not delete
   * someone else's machine.
   */
  deleteVms(instanceIds: string[], signal?: AbortSignal): Promise<void> {
    return this.run('compute.instances.delete', async (s) => {
      const names = [...new Set(instanceIds)];
      if (names.length === 0) return;
      // A later instance of the same name starts its serial port at 0 again.
      for (const n of names) this.serial.delete(`${s.project}/${s.zone}/${n}`);
      const malformed = names.filter((n) => !/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n));
      if (malformed.length > 0) throw new UsageError(`not Compute Engine instance names: ${malformed.join(', ')}`, { hint: 'win-k8s identifies GCP VMs by instance name (`win-k8s list` shows them)' });
      const found = new Map<string, Instance>();
      for (const name of names) {
        const i = await this.findInstance(s, name);
        if (i) found.set(name, i);
        else this.sink({ level: 'debug', message: `instance ${name} not found; already gone` });
      }
      const foreign = [...found.entries()].filter(([, i]) => !i.labels?.[LABEL_CLUSTER]).map(([n]) => n);
      if (foreign.length > 0) {
        throw new OperationError(`refusing to delete ${foreign.join(', ')}: not created by win-k8s (no ${LABEL_CLUSTER} label)`, { hint: '`win-k8s list` shows the instances win-k8s manages' });
      }
      if (found.size === 0) return;
      if (signal?.aborted) throw new InterruptedError('interrupted before deleting instances');
      const live = [...found.keys()];
      this.sink({ level: 'info', message: `deleting ${live.length} instance${live.length === 1 ? '' : 's'}: ${live.join(', ')}` });
      const failures: string[] = [];
      await forEachBounded(live, 10, async (name) => {
        try {
          const requestId = randomUUID();
          const [lro] = await this.call('compute.instances.delete', (c) => c.instances.delete({ project: s.project, zone: s.zone, instance: name, requestId }));
          const done = await waitOperation(this.ctx, (lro as { latestResponse?: Operation }).latestResponse, s, 'zone', signal);
          const error = opError(done);
          if (error) failures.push(`${name}: ${describeOperationError(error, { zone: s.zone }).message}`);
        } catch (err) {
          if (err instanceof InterruptedError) throw err;
          if (isNotFound(err)) return;
          failures.push(`${name}: ${toWinK8sError(err, { action: 'compute.instances.delete', project: s.project, zone: s.zone }).message}`);
        }
      });
      if (failures.length > 0) {
        throw new OperationError(`could not delete ${failures.length} instance${failures.length === 1 ? '' : 's'}:\n${failures.join('\n')}`, {
          hint: 'check them in the Cloud console (deletion protection?) and run the removal again',
        });
      }
      this.sink({ level: 'success', message: `deleted ${live.length} instance${live.length === 1 ? '' : 's'}` });
    });
  }

  deletePoolResources(ref: PoolRef): Promise<string[]> {
    return this.run('compute.firewalls.delete', async (s) => {
      const left = await this.listInstances(s, ref);
      if (left.length > 0) {
        this.sink({ level: 'info', message: `keeping the firewall rules of pool ${ref.pool}: ${left.length} instance${left.length === 1 ? '' : 's'} left (${left.map((i) => i.name).join(', ')})` });
        return [];
      }
      return deletePoolFirewalls(this.ctx, s, ref);
    });
  }
}
