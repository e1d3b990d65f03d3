import { randomUUID } from 'node:crypto';
import { InterruptedError, OperationError, UsageError } from '../../errors.js';
import type { CreateVmsRequest, ManagedVm, VmResult } from '../provider.js';
import { forEachBounded } from '../../util/bounded.js';
import type { protos } from './clients.js';
import { describeOperationError, isNotFound, toWinK8sError } from './errors.js';
import { SCRIPT_KEY, scriptMetadata } from './metadata.js';
import { LABEL_CLUSTER, LABEL_NODE, LABEL_POOL, labelFilter, labelValue, poolLabels } from './labels.js';
import { checkInstanceName, lastSegment, poolTag } from './names.js';
import { opError, waitOperation, type GceContext, type Operation, type Scope } from './operations.js';

export const DEFAULT_DISK_TYPE = 'pd-balanced';

type Instance = protos.google.cloud.compute.v1.IInstance;

/** What the provider's options say about every instance of the pool. */
export interface InstanceSettings {
  machineType: string;
  diskSizeGb: number;
  /** Default pd-balanced. */
  diskType?: string | undefined;
  /** An ephemeral external IP (default: none; nodes reach the internet through Cloud NAT). */
  externalIp?: boolean | undefined;
  /** The guest sees VT-x (--hyperv-isolation). */
  nestedVirtualization?: boolean | undefined;
}

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

/** The instance resource of one node: what instances.insert is asked to create. */
export function instanceResource(o: InstanceSettings, req: Pick<CreateVmsRequest, 'image' | 'placement' | 'ref'>, s: Scope, nodeName: string, script: string): Instance {
  const diskType = o.diskType ?? DEFAULT_DISK_TYPE;
  return {
    name: nodeName,
    machineType: `zones/${s.zone}/machineTypes/${o.machineType}`,
    disks: [
      {
        boot: true,
        autoDelete: true,
        type: 'PERSISTENT',
        initializeParams: { sourceImage: req.image.id, diskSizeGb: String(o.diskSizeGb), diskType: `zones/${s.zone}/diskTypes/${diskType}` },
      },
    ],
    networkInterfaces: [
      {
        network: req.placement.networkId,
        subnetwork: req.placement.subnetId,
        accessConfigs: o.externalIp ? [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] : [],
      },
    ],
    shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
    // Off unless asked: Compute Engine shows the guest VT-x only on request, which the Hyper-V role needs.
    ...(o.nestedVirtualization ? { advancedMachineFeatures: { enableNestedVirtualization: true } } : {}),
    labels: { ...poolLabels(req.ref), [LABEL_NODE]: labelValue(nodeName) },
    tags: { items: [poolTag(req.ref)] },
    metadata: { items: [{ key: SCRIPT_KEY, value: script }] },
  };
}

export async function createVms(ctx: GceContext, s: Scope, o: InstanceSettings, req: CreateVmsRequest, imageGb: number | undefined): Promise<VmResult[]> {
  if (req.vms.length === 0) return [];
  if (imageGb !== undefined && o.diskSizeGb < imageGb) {
    throw new UsageError(`${o.diskSizeGb} GB is smaller than the image's ${imageGb} GB disk`, { field: '--disk-size', hint: `use at least ${imageGb}` });
  }
  // Names and scripts are checked before the first insert: such a problem is the whole
  // batch's, and must not leave half a pool behind.
  const prepared = req.vms.map((vm) => {
    checkInstanceName(vm.nodeName);
    const meta = scriptMetadata(vm.nodeName, vm.script);
    if (meta.compressed) ctx.sink({ level: 'debug', subject: vm.nodeName, message: `bootstrap sent compressed (${(meta.bytes / 1024).toFixed(1)} KB of metadata)` });
    return { nodeName: vm.nodeName, resource: instanceResource(o, req, s, vm.nodeName, meta.value) };
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
      Object.assign(result, await createOne(ctx, s, o, req, nodeName, resource));
    } catch (err) {
      const e = toWinK8sError(err, { action: 'compute.instances.insert', project: s.project, zone: s.zone, endpoint: ctx.endpoint(), machineType: o.machineType });
      if (e.exitCode === 3) stopReason ??= e.message;
      result.error = e.message;
      ctx.sink({ level: 'warn', subject: nodeName, message: `not created: ${e.message}` });
    }
  });
  return results;
}

async function createOne(ctx: GceContext, s: Scope, o: InstanceSettings, req: CreateVmsRequest, nodeName: string, resource: Instance): Promise<Partial<VmResult>> {
  const started = Date.now();
  const existing = await findInstance(ctx, s, nodeName);
  if (existing) {
    if (existing.labels?.[LABEL_CLUSTER] !== labelValue(req.ref.cluster) || existing.labels?.[LABEL_POOL] !== labelValue(req.ref.pool)) {
      return { error: `an instance named ${nodeName} already exists in ${s.zone} and is not a win-k8s node of pool ${req.ref.pool}. Choose another node name.` };
    }
    if (vmState(existing.status) === 'stopped' || vmState(existing.status) === 'stopping') {
      return { instanceId: nodeName, error: `instance ${nodeName} of this node already exists and is ${vmState(existing.status)} (${existing.status ?? ''}). Start it, or remove the node and create it again.` };
    }
    ctx.sink({ level: 'info', subject: nodeName, message: `instance ${nodeName} already exists (${existing.status ?? 'unknown'}); not creating another` });
    const ip = existing.networkInterfaces?.[0]?.networkIP;
    return { instanceId: nodeName, ...(ip ? { privateIp: ip } : {}) };
  }
  ctx.sink({ level: 'info', subject: nodeName, message: `creating ${o.machineType} instance from ${req.image.name} in ${lastSegment(req.placement.subnetId)}` });
  // The same requestId on every retry: Compute Engine then creates the instance once.
  const requestId = randomUUID();
  // No signal for the insert itself: an aborted insert may still create the instance.
  const [lro] = await ctx.call('compute.instances.insert', (c) => c.instances.insert({ project: s.project, zone: s.zone, requestId, instanceResource: resource }));
  const accepted = (lro as { latestResponse?: Operation }).latestResponse;
  // Between this line and the next one for this node, minutes can pass with nothing to show.
  ctx.sink({ level: 'info', subject: nodeName, message: `insert of instance ${nodeName} accepted${accepted?.name ? ` (operation ${accepted.name})` : ''}; waiting until it runs` });
  let done: Operation;
  try {
    done = await waitOperation(ctx, accepted, s, 'zone', req.signal);
  } catch (err) {
    // The insert was accepted: the instance exists, and the interrupted run must list it for removal.
    if (err instanceof InterruptedError) return { instanceId: nodeName, error: `interrupted before instance ${nodeName} was running; it keeps starting (remove the node to delete it)` };
    throw err;
  }
  const error = opError(done);
  if (error) {
    const d = describeOperationError(error, { machineType: o.machineType, zone: s.zone, project: s.project });
    ctx.sink({ level: 'warn', subject: nodeName, message: `not created: ${d.code}` });
    return { error: d.message };
  }
  const instance = await findInstance(ctx, s, nodeName);
  const ip = instance?.networkInterfaces?.[0]?.networkIP ?? undefined;
  const seconds = Math.round((Date.now() - started) / 1000);
  ctx.sink({ level: 'success', subject: nodeName, message: `instance ${nodeName} ${instance?.status ?? 'created'}${ip ? ` at ${ip}` : ''} after ${seconds} s` });
  return { instanceId: nodeName, ...(ip ? { privateIp: ip } : {}), provisionSeconds: seconds };
}

export async function findInstance(ctx: GceContext, s: Scope, name: string): Promise<Instance | undefined> {
  try {
    const [instance] = await ctx.call('compute.instances.get', (c) => c.instances.get({ project: s.project, zone: s.zone, instance: name }));
    return instance;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function listInstances(ctx: GceContext, s: Scope, ref: { cluster: string; pool?: string | undefined }): Promise<Instance[]> {
  const all: Instance[] = [];
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    const [items, , response] = await ctx.call('compute.instances.list', (c) =>
      c.instances.list({ project: s.project, zone: s.zone, filter: labelFilter(ref), maxResults: 500, ...(token ? { pageToken: token } : {}) }, { autoPaginate: false }),
    );
    all.push(...items);
    pageToken = response?.nextPageToken ?? undefined;
  } while (pageToken);
  return all;
}

export async function listVms(ctx: GceContext, s: Scope, ref: { cluster: string; pool?: string | undefined }): Promise<ManagedVm[]> {
  const instances = await listInstances(ctx, s, ref);
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
}

/**
 * Deletes win-k8s's instances (ids are instance names in the zone) and waits until they
 * are gone. An instance without win-k8s's cluster label is refused: a typo must not delete
 * someone else's machine.
 */
export async function deleteVms(ctx: GceContext, s: Scope, instanceIds: string[], signal?: AbortSignal): Promise<void> {
  const names = [...new Set(instanceIds)];
  if (names.length === 0) return;
  const malformed = names.filter((n) => !/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n));
  if (malformed.length > 0) throw new UsageError(`not Compute Engine instance names: ${malformed.join(', ')}`, { hint: 'win-k8s identifies GCP VMs by instance name (`win-k8s list` shows them)' });
  const found = new Map<string, Instance>();
  for (const name of names) {
    const i = await findInstance(ctx, s, name);
    if (i) found.set(name, i);
    else ctx.sink({ level: 'debug', message: `instance ${name} not found; already gone` });
  }
  const foreign = [...found.entries()].filter(([, i]) => !i.labels?.[LABEL_CLUSTER]).map(([n]) => n);
  if (foreign.length > 0) {
    throw new OperationError(`refusing to delete ${foreign.join(', ')}: not created by win-k8s (no ${LABEL_CLUSTER} label)`, { hint: '`win-k8s list` shows the instances win-k8s manages' });
  }
  if (found.size === 0) return;
  if (signal?.aborted) throw new InterruptedError('interrupted before deleting instances');
  const live = [...found.keys()];
  ctx.sink({ level: 'info', message: `deleting ${live.length} instance${live.length === 1 ? '' : 's'}: ${live.join(', ')}` });
  const failures: string[] = [];
  await forEachBounded(live, 10, async (name) => {
    try {
      const requestId = randomUUID();
      const [lro] = await ctx.call('compute.instances.delete', (c) => c.instances.delete({ project: s.project, zone: s.zone, instance: name, requestId }));
      const done = await waitOperation(ctx, (lro as { latestResponse?: Operation }).latestResponse, s, 'zone', signal);
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
  ctx.sink({ level: 'success', message: `deleted ${live.length} instance${live.length === 1 ? '' : 's'}` });
}

