import {
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Filter,
  type Instance,
} from '@aws-sdk/client-ec2';
import { InterruptedError, OperationError, UsageError } from '../../errors.js';
import type { EventSink } from '../../output/output.js';
import { TAG_CLUSTER, TAG_NODE, TAG_POOL, type CreateVmsRequest, type ManagedVm, type PoolRef, type VmResult } from '../provider.js';
import { forEachBounded } from '../../util/bounded.js';
import { guard, hasAwsCode, scrub, toWinK8sError } from './errors.js';
import type { ImageDetails } from './images.js';
import { clientToken, describeLaunchFailure, runInstancesInput, type LaunchSettings } from './launch.js';
import { tagFilters, tagValue } from './tags.js';
import { buildUserData } from './user-data.js';
import { InstanceWatcher, chunks, type PollTiming, type WatchOutcome } from './wait.js';

export interface InstanceTiming extends PollTiming {
  runningTimeoutMs: number;
  terminatedTimeoutMs: number;
  /** DescribeInstances page size for listings. */
  pageSize: number;
}

export interface InstanceContext {
  ec2: EC2Client;
  region: string;
  sink: EventSink;
  timing: InstanceTiming;
  launch: LaunchSettings;
  /** Image details for an AMI id (cached from resolveImage). */
  imageDetails: (id: string) => Promise<ImageDetails>;
}

/** States in which an instance still exists as far as a pool is concerned. */
const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

export async function createVms(ctx: InstanceContext, req: CreateVmsRequest): Promise<VmResult[]> {
  if (req.vms.length === 0) return [];
  const image = await ctx.imageDetails(req.image.id);
  if (image.rootSnapshotGb !== undefined && ctx.launch.diskSizeGb < image.rootSnapshotGb) {
    throw new UsageError(`${ctx.launch.diskSizeGb} GiB is smaller than the image's ${image.rootSnapshotGb} GiB root volume`, {
      field: '--disk-size',
      hint: `use at least ${image.rootSnapshotGb} (100 is the default)`,
    });
  }
  // Every user data is built before the first launch: a bootstrap that does not fit is a
  // problem of the whole batch, and must not leave half a pool behind.
  const launches = req.vms.map((vm) => {
    const userData = buildUserData(vm.nodeName, vm.script);
    if (userData.compressed) ctx.sink({ level: 'debug', subject: vm.nodeName, message: `bootstrap sent compressed (${(userData.bytes / 1024).toFixed(1)} KB of user data)` });
    return {
      nodeName: vm.nodeName,
      input: runInstancesInput({ ...ctx.launch, ref: req.ref, nodeName: vm.nodeName, image, placement: req.placement, firewall: req.firewall, userData }),
    };
  });

  const existing = await liveInstancesByNode(ctx, req.ref);
  const watcher = new InstanceWatcher(ctx.ec2, ctx.timing, req.signal);
  const results: VmResult[] = req.vms.map((vm) => ({ nodeName: vm.nodeName }));
  const waits: Array<Promise<void>> = [];
  let stopReason: string | undefined;
  const where = { instanceType: ctx.launch.instanceType, zone: req.placement.zone, subnetId: req.placement.subnetId, region: ctx.region };

  await forEachBounded(launches, req.concurrency, async ({ nodeName, input }, i) => {
    const result = results[i]!;
    if (req.signal.aborted || stopReason) {
      result.error = `not started: ${req.signal.aborted ? 'interrupted' : stopReason}`;
      return;
    }
    const started = Date.now();
    let instanceId: string;
    const found = existing.get(nodeName);
    if (found?.InstanceId) {
      const state = found.State?.Name ?? 'unknown';
      if (state === 'stopped' || state === 'stopping') {
        result.instanceId = found.InstanceId;
        result.error = `instance ${found.InstanceId} of this node already exists and is ${state}. Start it, or remove the node and create it again.`;
        return;
      }
      instanceId = found.InstanceId;
      ctx.sink({ level: 'info', subject: nodeName, message: `instance ${instanceId} already exists (${state}); not creating another` });
    } else {
      try {
        ctx.sink({ level: 'info', subject: nodeName, message: `creating ${ctx.launch.instanceType} instance from ${image.id} in ${req.placement.subnetId}` });
        instanceId = await launch(ctx, req.ref, nodeName, input);
      } catch (err) {
        const failure = describeLaunchFailure(err, where);
        result.error = failure.message;
        if (failure.stopsBatch) stopReason ??= failure.message;
        ctx.sink({ level: 'warn', subject: nodeName, message: `not created: ${firstSentence(failure.message)}` });
        return;
      }
    }
    result.instanceId = instanceId;
    waits.push(
      watcher.watch(instanceId, 'running', ctx.timing.runningTimeoutMs).then((outcome) => {
        Object.assign(result, runningResult(ctx, nodeName, instanceId, outcome, started));
      }),
    );
  });
  await Promise.all(waits);
  return results;
}

/**
 * RunInstances for one node. A token EC2 has already seen returns the instance it created
 * then; if that one is gone (same node, same bootstrap, relaunched after removal), launch
 * afresh with a salted token. No abortSignal: an aborted RunInstances may still have
 * created the instance, and then no one would know its id.
 */
async function launch(ctx: InstanceContext, ref: PoolRef, nodeName: string, input: ReturnType<typeof runInstancesInput>): Promise<string> {
  let out = await ctx.ec2.send(new RunInstancesCommand(input));
  let instance = out.Instances?.[0];
  const state = instance?.State?.Name;
  if (state === 'terminated' || state === 'shutting-down') {
    const fresh = { ...input, ClientToken: clientToken(ref, nodeName, input, String(Date.now())) };
    out = await ctx.ec2.send(new RunInstancesCommand(fresh));
    instance = out.Instances?.[0];
  }
  if (!instance?.InstanceId) throw new OperationError('RunInstances returned no instance');
  return instance.InstanceId;
}

function runningResult(ctx: InstanceContext, nodeName: string, instanceId: string, outcome: WatchOutcome, started: number): Partial<VmResult> {
  const seconds = Math.round((Date.now() - started) / 1000);
  switch (outcome.kind) {
    case 'reached': {
      const privateIp = outcome.instance?.PrivateIpAddress;
      ctx.sink({ level: 'success', subject: nodeName, message: `instance ${instanceId} running${privateIp ? ` at ${privateIp}` : ''} after ${seconds} s` });
      return { ...(privateIp ? { privateIp } : {}), provisionSeconds: seconds };
    }
    case 'failed':
      return {
        error: `instance ${instanceId} went to ${outcome.state} instead of running${outcome.reason ? ` (${scrub(outcome.reason)})` : ''}. An encrypted volume needs a usable KMS key; the console output (win-k8s diagnose) may say more.`,
      };
    case 'timeout':
      return { error: `instance ${instanceId} is not running after ${Math.round(ctx.timing.runningTimeoutMs / 60_000)} min (${outcome.state ?? 'not visible yet'}). Check it in the EC2 console; remove the node if it stays stuck.` };
    case 'aborted':
      return { error: `interrupted before instance ${instanceId} was running; it keeps starting (remove the node to delete it)` };
    case 'error': {
      const err = toWinK8sError(outcome.error, { action: 'ec2:DescribeInstances', region: ctx.region });
      return { error: `instance ${instanceId} was created, but waiting for it failed: ${err.message}` };
    }
  }
}

function firstSentence(text: string): string {
  const end = text.search(/\.\s/);
  return end === -1 ? text : text.slice(0, end + 1);
}

async function describeAll(ctx: InstanceContext, filters: Filter[], action = 'ec2:DescribeInstances'): Promise<Instance[]> {
  const instances: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await guard({ action, region: ctx.region }, () =>
      ctx.ec2.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: ctx.timing.pageSize, ...(NextToken ? { NextToken } : {}) })),
    );
    for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return instances;
}

async function liveInstancesByNode(ctx: InstanceContext, ref: PoolRef): Promise<Map<string, Instance>> {
  const instances = await describeAll(ctx, [...tagFilters(ref), { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }]);
  const byNode = new Map<string, Instance>();
  for (const i of instances) {
    const node = tagValue(i.Tags, TAG_NODE);
    if (node) byNode.set(node, i);
  }
  return byNode;
}

export async function listVms(ctx: InstanceContext, ref: { cluster: string; pool?: string | undefined }): Promise<ManagedVm[]> {
  const instances = await describeAll(ctx, [...tagFilters(ref), { Name: 'instance-state-name', Values: LIVE_STATES }]);
  return instances
    .map((i): ManagedVm => ({
      instanceId: i.InstanceId!,
      nodeName: tagValue(i.Tags, TAG_NODE) ?? tagValue(i.Tags, 'Name') ?? i.InstanceId!,
      pool: tagValue(i.Tags, TAG_POOL) ?? '',
      cluster: tagValue(i.Tags, TAG_CLUSTER) ?? ref.cluster,
      state: i.State?.Name ?? 'unknown',
      ...(i.PrivateIpAddress ? { privateIp: i.PrivateIpAddress } : {}),
    }))
    .sort((a, b) => a.nodeName.localeCompare(b.nodeName));
}

/**
 * Terminates win-k8s's instances and waits until they are gone. An id without win-k8s's
 * cluster tag is refused: a typo must not terminate someone else's machine.
 */
export async function deleteVms(ctx: InstanceContext, instanceIds: string[], signal?: AbortSignal): Promise<void> {
  const ids = [...new Set(instanceIds)];
  if (ids.length === 0) return;
  const malformed = ids.filter((id) => !/^i-[0-9a-f]{8,17}$/.test(id));
  if (malformed.length > 0) throw new UsageError(`not EC2 instance ids: ${malformed.join(', ')}`, { hint: 'EC2 instance ids look like i-0123456789abcdef0' });

  const found = new Map<string, Instance>();
  for (const chunk of chunks(ids, 100)) {
    for (const i of await describeAll(ctx, [{ Name: 'instance-id', Values: chunk }])) found.set(i.InstanceId!, i);
  }
  const foreign = ids.filter((id) => found.has(id) && tagValue(found.get(id)!.Tags, TAG_CLUSTER) === undefined);
  if (foreign.length > 0) {
    throw new OperationError(`refusing to terminate ${foreign.join(', ')}: not created by win-k8s (no ${TAG_CLUSTER} tag)`, {
      hint: '`win-k8s list` shows the instances win-k8s manages',
    });
  }
  for (const id of ids.filter((id) => !found.has(id))) ctx.sink({ level: 'debug', message: `instance ${id} not found; already gone` });
  const live = ids.filter((id) => found.has(id) && found.get(id)!.State?.Name !== 'terminated');
  if (live.length === 0) return;
  if (signal?.aborted) throw new InterruptedError('interrupted before terminating instances');

  for (const chunk of chunks(live, 100)) {
    await guard({ action: 'ec2:TerminateInstances', region: ctx.region }, () => ctx.ec2.send(new TerminateInstancesCommand({ InstanceIds: chunk })));
  }
  ctx.sink({ level: 'info', message: `terminating ${live.length} instance${live.length === 1 ? '' : 's'}: ${live.join(', ')}` });

  const watcher = new InstanceWatcher(ctx.ec2, ctx.timing, signal);
  const outcomes = await Promise.all(live.map(async (id) => [id, await watcher.watch(id, 'terminated', ctx.timing.terminatedTimeoutMs)] as const));
  if (outcomes.some(([, o]) => o.kind === 'aborted')) {
    throw new InterruptedError('interrupted while instances were terminating; they keep terminating', { hint: '`win-k8s list` shows what is left' });
  }
  const failed = outcomes.find(([, o]) => o.kind === 'error');
  if (failed && failed[1].kind === 'error') throw toWinK8sError(failed[1].error, { action: 'ec2:DescribeInstances', region: ctx.region });
  const stuck = outcomes.filter(([, o]) => o.kind !== 'reached').map(([id]) => id);
  if (stuck.length > 0) {
    throw new OperationError(`instances still not terminated after ${Math.round(ctx.timing.terminatedTimeoutMs / 60_000)} min: ${stuck.join(', ')}`, {
      hint: 'check them in the EC2 console (termination protection?) and run the removal again',
    });
  }
  ctx.sink({ level: 'success', message: `terminated ${live.length} instance${live.length === 1 ? '' : 's'}` });
}

/**
 * The serial console text. Latest (a fresh capture instead of the one taken at boot) exists
 * only on Nitro instances; older types refuse it, so the call is repeated without it.
 */
export async function consoleOutput(ctx: InstanceContext, instanceId: string): Promise<string> {
  const action = { action: 'ec2:GetConsoleOutput', region: ctx.region };
  let output: string | undefined;
  try {
    output = (await ctx.ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true }))).Output;
  } catch (err) {
    if (hasAwsCode(err, 'InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed')) {
      throw new OperationError(`instance ${instanceId} does not exist in ${ctx.region}`, { hint: '`win-k8s list` shows the instances of the cluster' });
    }
    if (!hasAwsCode(err, 'UnsupportedOperation', 'InvalidParameterValue', 'InvalidParameter', 'InvalidParameterCombination')) throw toWinK8sError(err, action);
    output = (await guard(action, () => ctx.ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId })))).Output;
  }
  return output ? Buffer.from(output, 'base64').toString('utf8') : '';
}
