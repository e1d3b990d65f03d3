import type { PoolDeps } from './deps.js';
import type { OptionSpec } from '../config/options.js';
import { checkOtherCloudOptions, openConfiguredCluster } from '../plan/build-plan.js';
import { POOL_LABEL } from '../cluster/nodes.js';
import { apiError } from '../cluster/client.js';
import { UsageError } from '../errors.js';
import { loadProvider } from '../cloud/load-provider.js';
import type { Cluster } from '../cluster/client.js';
import type { CloudProvider } from '../cloud/provider.js';
import { listPoolTokens, type PoolToken } from '../cluster/tokens.js';

/** One row of `list`: a VM and its Node, or an orphan on either side ('Missing'). */
export interface ListRow {
  name: string;
  pool: string;
  cloud: string;
  instanceId: string | null;
  vmState: string;
  nodeStatus: string;
}

export interface ManagedContext {
  cluster: Cluster;
  provider: CloudProvider;
  clusterName: string;
}

/** Opens the cluster and the cloud the pool lives in (from --cloud or the control plane's providerID). */
export async function openManaged(ctx: PoolDeps, specs: OptionSpec[]): Promise<ManagedContext> {
  const { config, cluster, facts } = await openConfiguredCluster(ctx, specs);
  const cloud = config.cloud ?? facts.placement?.cloud;
  if (!cloud) throw new UsageError('cannot tell which cloud the VMs are in: the control plane has no providerID', { field: '--cloud' });
  // The same rule as join: a flag of another cloud is refused rather than ignored, since it
  // means list/remove would look in a place the user did not mean.
  checkOtherCloudOptions(ctx, specs, cloud, config.cloud !== undefined);
  const provider = await loadProvider(cloud, config, facts.placement, ctx.output.sink, ctx.env);
  return { cluster, provider, clusterName: facts.name };
}

export interface ManagedList {
  nodes: ListRow[];
  /** Live bootstrap tokens per pool: a run that died leaves one valid until it expires. */
  tokens: PoolToken[];
}

/**
 * VMs found by tags joined with Nodes found by label and name (orphans on either side are rows
 * too), and the pools' live bootstrap tokens.
 */
export async function listManaged(ctx: PoolDeps, specs: OptionSpec[], pool: string | undefined): Promise<ManagedList> {
  const { cluster, provider, clusterName } = await openManaged(ctx, specs);
  const vms = await provider.listVms({ cluster: clusterName, pool });
  let nodes;
  try {
    nodes = (await cluster.core.listNode({ labelSelector: pool ? `${POOL_LABEL}=${pool}` : POOL_LABEL })).items;
  } catch (err) {
    throw apiError(err, 'list nodes', cluster.resolved.server);
  }
  const rows: ListRow[] = [];
  const seen = new Set<string>();
  for (const vm of vms) {
    const node = nodes.find((n) => n.metadata?.name === vm.nodeName);
    seen.add(vm.nodeName);
    rows.push({ name: vm.nodeName, pool: vm.pool, cloud: provider.cloud, instanceId: vm.instanceId, vmState: vm.state, nodeStatus: node ? nodeStatus(node) : 'Missing' });
  }
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    if (seen.has(name)) continue;
    rows.push({ name, pool: node.metadata?.labels?.[POOL_LABEL] ?? '', cloud: provider.cloud, instanceId: null, vmState: 'Missing', nodeStatus: nodeStatus(node) });
  }
  rows.sort((a, b) => a.pool.localeCompare(b.pool) || a.name.localeCompare(b.name));
  let tokens: PoolToken[] = [];
  try {
    tokens = await listPoolTokens(cluster, pool);
  } catch (err) {
    ctx.output.warn(`bootstrap tokens not listed: ${(err as Error).message}`);
  }
  return { nodes: rows, tokens };
}

function nodeStatus(node: { status?: { conditions?: { type: string; status: string }[] }; spec?: { unschedulable?: boolean } }): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const base = ready?.status === 'True' ? 'Ready' : 'NotReady';
  return node.spec?.unschedulable ? `${base},SchedulingDisabled` : base;
}
