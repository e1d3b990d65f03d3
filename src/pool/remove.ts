import type { PoolDeps } from './deps.js';
import type { OptionSpec } from '../config/options.js';
import { MANAGED_SELECTOR, POOL_LABEL } from '../cluster/nodes.js';
import { cordon, deleteNode, drain } from '../cluster/drain.js';
import { ExitCode, UsageError } from '../errors.js';
import { apiError } from '../cluster/client.js';
import type { Cluster } from '../cluster/client.js';
import type { ManagedVm } from '../cloud/provider.js';
import { deleteClusterObject, describeObject, kubectlDelete, listManagedClusterObjects } from '../cluster/managed-objects.js';
import type { UnlistedKind } from '../cluster/managed-objects.js';
import { durationOf } from '../config/duration.js';
import { removeOptions } from '../config/options.js';
import { deleteBootstrapToken, listPoolTokens } from '../cluster/tokens.js';
import { openManaged } from './list.js';
import { renderRemovePlan, renderRemoveResult } from '../output/render-remove.js';
import type { ClusterObjectLeft, ClusterObjectsOutcome, RemovePlan, RemoveResult } from './result.js';

export interface RemoveRequest {
  nodes: string[];
  pool: string | undefined;
  force: boolean;
  drainTimeout: string;
  /** Where the drain timeout came from (--drain-timeout or WIN_K8S_DRAIN_TIMEOUT), for its error. */
  drainTimeoutField?: string;
  /** Show what would be deleted, delete nothing (reads only). */
  dryRun?: boolean;
  /** Keep the cluster-wide objects join made even when the last pool goes. */
  keepClusterObjects?: boolean;
}

const WINDOWS_SELECTOR = 'kubernetes.io/os=windows';
/** Deletes by hand every cluster-wide object join labelled, for when remove could not look. */
const KEPT_AS_ASKED = 'kept as asked (--keep-cluster-objects)';
/** A kind remove could not list (RBAC): its labelled objects are the user's to delete. */
const unlistedLeft = (unlisted: UnlistedKind[]): ClusterObjectLeft[] => unlisted.map((u) => ({ what: `${u.kind}s labelled ${MANAGED_SELECTOR}`, error: u.error, command: u.command }));
const ALL_BY_HAND = `kubectl delete runtimeclass,clusterrolebinding -l ${MANAGED_SELECTOR} && kubectl delete daemonset -n kube-system -l ${MANAGED_SELECTOR}`;

/**
 * Why the cluster-wide objects must stay once `going` (node names) is gone, or undefined when
 * no win-k8s pool is left: no Node with the pool label, no VM of any pool of the cluster. A
 * Windows Node win-k8s did not label (joined by hand with `render`) may use the bindings and
 * RuntimeClasses too, so it keeps them as well.
 */
async function keptBecause(cluster: Cluster, allVms: ManagedVm[], going: ReadonlySet<string>): Promise<string | undefined> {
  const names = async (labelSelector: string) => {
    try {
      return (await cluster.core.listNode({ labelSelector })).items.map((n) => n.metadata?.name ?? '').filter((n) => !going.has(n));
    } catch (err) {
      throw apiError(err, 'list nodes', cluster.resolved.server);
    }
  };
  const list = (items: string[]) => `${items.slice(0, 5).join(', ')}${items.length > 5 ? ` and ${items.length - 5} more` : ''}`;
  const pooled = await names(POOL_LABEL);
  if (pooled.length > 0) return `win-k8s nodes are left: ${list(pooled)}`;
  const vms = allVms.filter((v) => !going.has(v.nodeName));
  if (vms.length > 0) return `VMs of pool${new Set(vms.map((v) => v.pool)).size > 1 ? 's' : ''} ${[...new Set(vms.map((v) => v.pool))].join(', ')} are left: ${list(vms.map((v) => v.nodeName))}`;
  const windows = await names(WINDOWS_SELECTOR);
  if (windows.length > 0) return `Windows nodes win-k8s did not make may use them: ${list(windows)}`;
  return undefined;
}

/** The cluster-wide objects, when this removal leaves no pool: deleted one by one, refusals kept. */
async function removeClusterObjects(ctx: PoolDeps, cluster: Cluster, kept: string | undefined): Promise<ClusterObjectsOutcome> {
  if (kept) {
    ctx.output.info(`keeping the cluster-wide objects join made (RuntimeClasses, ClusterRoleBindings): ${kept}`);
    return { deleted: [], kept, left: [] };
  }
  const { objects, unlisted } = await listManagedClusterObjects(cluster);
  const outcome: ClusterObjectsOutcome = { deleted: [], left: unlistedLeft(unlisted) };
  for (const ref of objects) {
    const r = await deleteClusterObject(cluster, ref);
    if (r.deleted) {
      outcome.deleted.push(ref);
      ctx.output.success(`deleted ${describeObject(ref)} (no win-k8s pool is left)`);
    } else {
      outcome.left.push({ what: describeObject(ref), error: r.error, command: kubectlDelete(ref) });
    }
  }
  for (const l of outcome.left) ctx.output.warn(`${l.what} is left: ${l.error}; delete it with: ${l.command}`);
  return outcome;
}


function parseDuration(text: string, field: string): number {
  return durationOf(text, field, removeOptions.drainTimeout.duration);
}

export async function removeManaged(ctx: PoolDeps, specs: OptionSpec[], req: RemoveRequest): Promise<number> {
  if (req.nodes.length === 0 && !req.pool) throw new UsageError('name the nodes to remove, or pass --pool', { field: '--pool' });
  if (req.nodes.length > 0 && req.pool) throw new UsageError('give node names or --pool, not both', { field: '--pool' });
  const drainTimeoutMs = parseDuration(req.drainTimeout, req.drainTimeoutField ?? '--drain-timeout');
  const { cluster, provider, clusterName } = await openManaged(ctx, specs);
  // Every pool's VMs, listed once: a removal is the last one only if none of them is left.
  const allVms = await provider.listVms({ cluster: clusterName });
  const vms = req.pool ? allVms.filter((v) => v.pool === req.pool) : allVms;
  const labelled = (await cluster.core.listNode({ labelSelector: req.pool ? `${POOL_LABEL}=${req.pool}` : POOL_LABEL })).items.map((n) => n.metadata?.name ?? '');
  const names = req.pool ? [...new Set([...vms.map((v) => v.nodeName), ...labelled])] : req.nodes;
  const unknown = req.nodes.filter((n) => !vms.some((v) => v.nodeName === n) && !labelled.includes(n));
  if (unknown.length > 0) throw new UsageError(`not managed by win-k8s in cluster ${clusterName}: ${unknown.join(', ')}`, { hint: 'win-k8s list shows what it manages' });
  const clusterObjectsPlan = async (): Promise<RemovePlan['clusterObjects']> => {
    const kept = req.keepClusterObjects ? KEPT_AS_ASKED : await keptBecause(cluster, allVms, new Set(names));
    if (kept) return { wouldDelete: [], kept, left: [] };
    const { objects, unlisted } = await listManagedClusterObjects(cluster);
    return { wouldDelete: objects, left: unlistedLeft(unlisted) };
  };
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
      poolFirewalls: await Promise.all(
        pools
          .filter((p) => left(p) === 0)
          .map(async (pool) => ({ pool, cloud: provider.cloud, ...(provider.describePoolFirewall ? { firewalls: await provider.describePoolFirewall({ cluster: clusterName, pool }) } : {}) })),
      ),
      clusterObjects: await clusterObjectsPlan(),
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

  const result: RemoveResult = { removed: [], deletedResources: [], deletedTokens: [], clusterObjects: { deleted: [], left: [] }, failed: [] };
  // Loaded only when a Node is drained: most of a removal's time is spent waiting here.
  const drains = names.some((n) => labelled.includes(n)) ? (await import('../output/drain-progress.js')).startDrainProgress(ctx.output) : undefined;
  for (const name of names) {
    const vm = vms.find((v) => v.nodeName === name);
    try {
      let nodeState: 'deleted' | 'absent' = 'absent';
      if (labelled.includes(name)) {
        ctx.output.info('cordon and drain', name);
        await cordon(cluster, name);
        try {
          await drain(cluster, name, { force: req.force, timeoutMs: drainTimeoutMs, sink: ctx.output.sink, signal: ctx.signal, onProgress: (p) => drains?.update(p) });
        } finally {
          drains?.done(name);
        }
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
  drains?.stop();
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
  const gone = new Set(result.removed.map((r) => r.name));
  const failedNames = new Set(result.failed.map((f) => f.name));
  try {
    const kept = req.keepClusterObjects
      ? KEPT_AS_ASKED
      : failedNames.size > 0
        ? `the removal of ${[...failedNames].join(', ')} failed`
        : await keptBecause(cluster, allVms, gone);
    result.clusterObjects = await removeClusterObjects(ctx, cluster, kept);
  } catch (err) {
    // The Nodes and VMs are gone by now: what they were is still reported, with what is left.
    const left = { what: `the cluster-wide objects labelled ${MANAGED_SELECTOR}, if no win-k8s pool is left`, error: (err as Error).message, command: ALL_BY_HAND };
    result.clusterObjects = { deleted: [], left: [left] };
    ctx.output.warn(`${left.what}: ${left.error}; delete them with: ${left.command}`);
  }
  ctx.output.result(result, renderRemoveResult);
  if (result.failed.length > 0) return ExitCode.failed;
  // What RBAC would not let go is the user's to delete, as the README's table says: denied is 3.
  if (result.clusterObjects.left.length > 0) return leftExitCode(result.clusterObjects.left);
  return ExitCode.ok;
}

function leftExitCode(left: ClusterObjectLeft[]): number {
  return left.every((l) => l.error.startsWith('forbidden')) ? ExitCode.environment : ExitCode.failed;
}
