import type * as k8s from '@kubernetes/client-node';
import { OperationError } from '../errors.js';
import type { EventSink } from '../output/output.js';
import { apiError, apiMessage, isNotFound, statusCode, type Cluster } from './client.js';
import { sleep } from '../util/sleep.js';

export interface DrainOptions {
  /** Also evict pods no controller will recreate (they are lost). */
  force: boolean;
  timeoutMs: number;
  sink: EventSink;
  signal?: AbortSignal;
  /** Pause between eviction retries while a PodDisruptionBudget blocks them. */
  retryMs?: number;
  /** Where the drain stands, at each change and each retry: the caller decides how often to show it. */
  onProgress?: (p: DrainProgress) => void;
}

export interface DrainProgress {
  node: string;
  /** Pods still to be evicted or still terminating (DaemonSet and mirror pods do not count). */
  podsLeft: number;
  /** What it waits on now, e.g. "PodDisruptionBudget default/web (needs 2 healthy pods, has 2)". */
  waitingOn?: string;
}

/** The budget a 429 names (the API server puts it in the Status causes), in words. */
function blockingBudget(err: unknown, namespace: string): string {
  const body = (err as { body?: unknown }).body;
  try {
    const status = JSON.parse(typeof body === 'string' ? body : '') as { details?: { causes?: { reason?: string; message?: string }[] } };
    for (const cause of status.details?.causes ?? []) {
      const m = /disruption budget (\S+) needs (\d+) healthy pods and has (\d+)/i.exec(cause.message ?? '');
      if (m) return `PodDisruptionBudget ${namespace}/${m[1]} (needs ${m[2]} healthy pods, has ${m[3]})`;
    }
  } catch {
    // no Status document: the budget is not named
  }
  return 'a PodDisruptionBudget';
}


export async function cordon(cluster: Cluster, node: string): Promise<void> {
  try {
    await cluster.core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, cluster.lib.setHeaderOptions('Content-Type', cluster.lib.PatchStrategy.MergePatch));
  } catch (err) {
    if (isNotFound(err)) return;
    throw apiError(err, `cordon ${node}`, cluster.resolved.server);
  }
}

function isDaemonSetPod(p: k8s.V1Pod): boolean {
  return (p.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet');
}

function isMirrorPod(p: k8s.V1Pod): boolean {
  return Boolean(p.metadata?.annotations?.['kubernetes.io/config.mirror']);
}

function isUnmanaged(p: k8s.V1Pod): boolean {
  return !(p.metadata?.ownerReferences ?? []).some((o) => o.controller);
}

/**
 * Evicts the node's pods through the Eviction API, so PodDisruptionBudgets are respected:
 * a 429 means a budget blocks it now, and the eviction is retried until the timeout. DaemonSet
 * and mirror pods stay (they belong to the node); pods without a controller need --force.
 */
export async function drain(cluster: Cluster, node: string, opts: DrainOptions): Promise<{ evicted: string[] }> {
  const server = cluster.resolved.server;
  let pods: k8s.V1Pod[];
  try {
    pods = (await cluster.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })).items;
  } catch (err) {
    throw apiError(err, `list the pods on ${node}`, server);
  }
  const targets = pods.filter((p) => !isDaemonSetPod(p) && !isMirrorPod(p));
  const unmanaged = targets.filter((p) => isUnmanaged(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  if (unmanaged.length > 0 && !opts.force) {
    throw new OperationError(`cannot drain ${node}: ${unmanaged.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', ')} ha${unmanaged.length > 1 ? 've' : 's'} no controller and would be lost`, {
      hint: 'pass --force to delete them anyway',
    });
  }
  const deadline = Date.now() + opts.timeoutMs;
  const evicted: string[] = [];
  const progress = (podsLeft: number, waitingOn?: string) => opts.onProgress?.({ node, podsLeft, ...(waitingOn ? { waitingOn } : {}) });
  progress(targets.length);
  for (const [index, pod] of targets.entries()) {
    const name = pod.metadata!.name!;
    const namespace = pod.metadata!.namespace!;
    for (;;) {
      if (opts.signal?.aborted) throw new OperationError(`drain of ${node} interrupted`);
      try {
        await cluster.core.createNamespacedPodEviction({ name, namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } } });
        evicted.push(`${namespace}/${name}`);
        opts.sink({ level: 'info', message: `evicted ${namespace}/${name}`, subject: node });
        progress(targets.length - index - 1);
        break;
      } catch (err) {
        if (isNotFound(err)) {
          progress(targets.length - index - 1);
          break;
        }
        if (statusCode(err) === 429 && Date.now() < deadline) {
          opts.sink({ level: 'debug', message: `eviction of ${namespace}/${name} blocked by a PodDisruptionBudget; retrying`, subject: node });
          progress(targets.length - index, `${blockingBudget(err, namespace)} to evict ${namespace}/${name}`);
          await sleep(opts.retryMs ?? 2000, opts.signal);
          continue;
        }
        if (statusCode(err) === 429) {
          throw new OperationError(`drain of ${node} timed out: a PodDisruptionBudget still blocks evicting ${namespace}/${name} (${apiMessage(err)})`, { hint: 'raise --drain-timeout, scale the workload up, or relax the budget' });
        }
        throw apiError(err, `evict ${namespace}/${name}`, server);
      }
    }
  }
  // Evicted pods terminate gracefully; the node is deleted only once they are gone.
  for (;;) {
    if (opts.signal?.aborted) throw new OperationError(`drain of ${node} interrupted`);
    const left = (await cluster.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })).items.filter((p) => !isDaemonSetPod(p) && !isMirrorPod(p));
    if (left.length === 0) break;
    progress(left.length, `${left.length === 1 ? 'it' : 'them'} to terminate: ${left.slice(0, 3).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', ')}${left.length > 3 ? ', ...' : ''}`);
    if (Date.now() >= deadline) throw new OperationError(`drain of ${node} timed out with pods still terminating: ${left.map((p) => p.metadata?.name).join(', ')}`, { hint: 'raise --drain-timeout' });
    await sleep(opts.retryMs ?? 2000, opts.signal);
  }
  return { evicted };
}

export async function deleteNode(cluster: Cluster, node: string): Promise<boolean> {
  try {
    await cluster.core.deleteNode({ name: node });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw apiError(err, `delete node ${node}`, cluster.resolved.server);
  }
}
