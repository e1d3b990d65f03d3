import type * as k8s from '@kubernetes/client-node';
import type { Cluster } from '../cluster/client.js';
import { apiError } from '../cluster/client.js';
import { discover } from '../cluster/discovery.js';
import { resultKey, runChecks, summarize } from './runner.js';
import type { CheckDefinition, CheckResult, DiagnoseDocument, Snapshot } from './types.js';

export interface DiagnoseOptions {
  nodes: string[];
  pool?: string | undefined;
  checks: CheckDefinition[];
  waitMs: number;
  failOn: 'warn' | 'fail';
  /** Between rounds of --wait. */
  intervalMs?: number;
  signal?: AbortSignal;
}

export async function takeSnapshot(cluster: Cluster, opts: Pick<DiagnoseOptions, 'nodes' | 'pool'>): Promise<Snapshot> {
  const server = cluster.resolved.server;
  try {
    const facts = await discover(cluster);
    const selector = ['kubernetes.io/os=windows', ...(opts.pool ? [`win-k8s.io/pool=${opts.pool}`] : [])].join(',');
    const [nodes, pods, events, slices] = await Promise.all([
      cluster.core.listNode({ labelSelector: selector }),
      cluster.core.listPodForAllNamespaces({}),
      cluster.core.listEventForAllNamespaces({}),
      cluster.kc.makeApiClient(cluster.lib.DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'kube-system', labelSelector: 'kubernetes.io/service-name=kube-dns' }),
    ]);
    const windowsNodes = nodes.items.filter((n: k8s.V1Node) => opts.nodes.length === 0 || opts.nodes.includes(n.metadata?.name ?? ''));
    return { serverVersion: facts.gitVersion, facts: { cni: facts.cni }, windowsNodes, pods: pods.items, events: events.items, dnsSlices: slices.items };
  } catch (err) {
    throw apiError(err, 'read the cluster state for diagnose', server);
  }
}

export function isFailing(r: CheckResult, failOn: 'warn' | 'fail'): boolean {
  return r.status === 'fail' || (failOn === 'warn' && r.status === 'warn');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * One round, then with --wait more rounds re-evaluating only what still fails (on a fresh
 * snapshot) until it all passes or the time is up.
 */
export async function diagnose(cluster: Cluster, opts: DiagnoseOptions, onRound?: (round: number, failing: number) => void): Promise<DiagnoseDocument> {
  const deadline = Date.now() + opts.waitMs;
  let results = await runChecks(opts.checks, await takeSnapshot(cluster, opts));
  for (let round = 2; ; round++) {
    const failing = results.filter((r) => isFailing(r, opts.failOn));
    // Skips caused by a failing fatal check must be retried too, or they would stay skipped.
    const retry = results.filter((r) => isFailing(r, opts.failOn) || r.status === 'skip');
    if (failing.length === 0 || Date.now() >= deadline || opts.signal?.aborted) break;
    onRound?.(round, failing.length);
    await sleep(Math.min(opts.intervalMs ?? 2000, Math.max(0, deadline - Date.now())), opts.signal);
    const snap = await takeSnapshot(cluster, opts);
    // The node set may change (a node joined): results for new nodes are computed fresh.
    const known = new Set(results.map(resultKey));
    const fresh = snap.windowsNodes.flatMap((n) => opts.checks.map((c) => resultKey({ id: c.id, ...(c.scope === 'node' ? { node: n.metadata?.name } : {}) })));
    const only = new Set([...retry.map(resultKey), ...fresh.filter((k) => !known.has(k))]);
    results = await runChecks(opts.checks, snap, { previous: results, only });
  }
  return summarize(results);
}
