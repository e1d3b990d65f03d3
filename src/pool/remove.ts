import type { PoolDeps } from './deps.js';
import type { OptionSpec } from '../config/options.js';
import { POOL_LABEL } from '../cluster/nodes.js';
import { cordon, deleteNode, drain } from '../cluster/drain.js';
import { ExitCode, UsageError } from '../errors.js';
import { durationOf } from '../config/duration.js';
import { removeOptions } from '../config/options.js';
import { deleteBootstrapToken, listPoolTokens } from '../cluster/tokens.js';
import { openManaged } from './list.js';
import { renderRemovePlan, renderRemoveResult } from '../output/render-remove.js';
import type { RemovePlan, RemoveResult } from './result.js';

export interface RemoveRequest {
  nodes: string[];
  pool: string | undefined;
  force: boolean;
  drainTimeout: string;
  /** Where the drain timeout came from (--drain-timeout or WIN_K8S_DRAIN_TIMEOUT), for its error. */
  drainTimeoutField?: string;
  /** Show what would be deleted, delete nothing (reads only). */
  dryRun?: boolean;
}


function parseDuration(text: string, field: string): number {
  return durationOf(text, field, removeOptions.drainTimeout.duration);
}

export async function removeManaged(ctx: PoolDeps, specs: OptionSpec[], req: RemoveRequest): Promise<number> {
  if (req.nodes.length === 0 && !req.pool) throw new UsageError('name the nodes to remove, or pass --pool', { field: '--pool' });
  if (req.nodes.length > 0 && req.pool) throw new UsageError('give node names or --pool, not both', { field: '--pool' });
  const drainTimeoutMs = parseDuration(req.drainTimeout, req.drainTimeoutField ?? '--drain-timeout');
  const { cluster, provider, clusterName } = await openManaged(ctx, specs);
  const vms = await provider.listVms({ cluster: clusterName, pool: req.pool });
  const labelled = (await cluster.core.listNode({ labelSelector: req.pool ? `${POOL_LABEL}=${req.pool}` : POOL_LABEL })).items.map((n) => n.metadata?.name ?? '');
  const names = req.pool ? [...new Set([...vms.map((v) => v.nodeName), ...labelled])] : req.nodes;
  const unknown = req.nodes.filter((n) => !vms.some((v) => v.nodeName === n) && !labelled.includes(n));
  if (unknown.length > 0) throw new UsageError(`not managed by win-k8s in cluster ${clusterName}: ${unknown.join(', ')}`, { hint: 'win-k8s list shows what it manages' });
  if (req.dryRun) {
    // The same choice of what goes as a real run, from the same reads; then nothing is deleted.
    const chosen = vms.filter((v) => names.includes(v.nodeName));
    const left = (pool: string) => vms.filter((v) => v.pool === pool && !names.includes(v.nodeName)).length;
    const pools = [...new Set([...(req.pool ? [req.pool] : []), ...chosen.map((v) => v.pool)])];
    const plan: RemovePlan = {
      dryRun: true,
      cluster: clusterName,
      nodes: names.map((name) => {
        const vm = vms.find((v) => v.nodeName === name);
        return { name, node: labelled.includes(name) ? 'present' : 'absent', instanceId: vm?.instanceId ?? null, pool: vm?.pool ?? null };
      }),
      tokens: req.pool ? (await listPoolTokens(cluster, req.pool)).map((t) => t.id) : [],
      poolFirewalls: pools.filter((p) => left(p) === 0).map((pool) => ({ pool, cloud: provider.cloud })),
    };
    ctx.output.result(plan, renderRemovePlan);
    return ExitCode.ok;
  }
  if (names.length === 0) {
    ctx.output.info(`pool ${req.pool} has no nodes or VMs`);
  } else if (!(await ctx.confirm(`remove ${names.join(', ')} (drain, delete the Node and the VM)?`))) {
    ctx.output.warn('not confirmed; nothing was changed');
    return ExitCode.failed;
  }

  const result: RemoveResult = { removed: [], deletedResources: [], deletedTokens: [], failed: [] };
  for (const name of names) {
    const vm = vms.find((v) => v.nodeName === name);
    try {
      let nodeState: 'deleted' | 'absent' = 'absent';
      if (labelled.includes(name)) {
        ctx.output.info('cordon and drain', name);
        await cordon(cluster, name);
        await drain(cluster, name, { force: req.force, timeoutMs: drainTimeoutMs, sink: ctx.output.sink, signal: ctx.signal });
        nodeState = (await deleteNode(cluster, name)) ? 'deleted' : 'absent';
        ctx.output.success('Node deleted', name);
      }
      if (vm) {
        await provider.deleteVms([vm.instanceId], ctx.signal);
        ctx.output.success(`VM ${vm.instanceId} deleted`, name);
      }
      result.removed.push({ name, instanceId: vm?.instanceId ?? null, node: nodeState, vm: vm ? 'terminated' : 'absent' });
    } catch (err) {
      const message = (err as Error).message;
      result.failed.push({ name, error: message });
      ctx.output.error(message, name);
    }
  }
  if (req.pool) {
    // A token left by a run that died still carries the pool's label and would let a VM join
    // the pool being removed until it expires.
    for (const token of await listPoolTokens(cluster, req.pool)) {
      try {
        await deleteBootstrapToken(cluster, token.id);
        result.deletedTokens.push(token.id);
        ctx.output.success(`deleted bootstrap token ${token.id} of pool ${req.pool}`);
      } catch (err) {
        result.failed.push({ name: `bootstrap token ${token.id}`, error: (err as Error).message });
        ctx.output.error((err as Error).message);
      }
    }
  }
  const pools = new Set([...(req.pool ? [req.pool] : []), ...vms.filter((v) => names.includes(v.nodeName)).map((v) => v.pool)]);
  for (const pool of pools) {
    const deleted = await provider.deletePoolResources({ cluster: clusterName, pool });
    result.deletedResources.push(...deleted);
    for (const id of deleted) ctx.output.success(`deleted ${id} (pool ${pool} is empty)`);
  }
  ctx.output.result(result, renderRemoveResult);
  return result.failed.length > 0 ? ExitCode.failed : ExitCode.ok;
}
