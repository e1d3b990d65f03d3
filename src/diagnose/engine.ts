import type * as k8s from '@kubernetes/client-node';
import type { Cluster } from '../cluster/client.js';
import { apiError } from '../cluster/client.js';
import { discover } from '../cluster/discovery.js';
import { UsageError, isWinK8sError } from '../errors.js';
import { runProbes } from './probes.js';
import { proxyError, readKubeletConfigs, readKubeletSummaries } from './kubelet-proxy.js';
import { mapBounded } from '../util/bounded.js';
import { resultKey, runChecks, summarize } from './runner.js';
import { withWorkspace, type Workspace } from './workspace.js';
import type { CheckDefinition, CheckNeed, CheckResult, DiagnoseDocument, Snapshot } from './types.js';
import { sleep } from '../util/sleep.js';

export interface DiagnoseOptions {
  nodes: string[];
  pool?: string | undefined;
  checks: CheckDefinition[];
  waitMs: number;
  failOn: 'warn' | 'fail';
  /** Between rounds of --wait. */
  intervalMs?: number;
  signal?: AbortSignal;
  skipProbes?: boolean;
  skipNodeChecks?: boolean;
  /** Bounds each probe pod (start and run). */
  probeTimeoutMs?: number;
  /** host[:port] the egress probe resolves and connects to. */
  externalTarget?: string | undefined;
  /** Attempts per probe target. */
  probeRepeat?: number;
  /** How often pod states are polled. */
  pollMs?: number;
  /** Fills snap.nodeReports for the selected nodes (the on-node script); see node-exec.ts. */
  collectNodeReports?: (ws: import('./workspace.js').Workspace | undefined, snap: Snapshot) => Promise<Snapshot['nodeReports']>;
  progress?: (message: string) => void;
  warn?: (message: string) => void;
  /** Told the name of each temporary namespace as it is created. */
  onNamespace?: (name: string) => void;
  /** Sees every snapshot after its extra data was gathered (the --bundle writer keeps them). */
  onGathered?: (snap: Snapshot) => void;
}

export async function takeSnapshot(cluster: Cluster, opts: Pick<DiagnoseOptions, 'nodes' | 'pool'>, checkNames = false): Promise<Snapshot> {
  const server = cluster.resolved.server;
  try {
    const facts = await discover(cluster);
    const selector = ['kubernetes.io/os=windows', ...(opts.pool ? [`win-k8s.io/pool=${opts.pool}`] : [])].join(',');
    const [nodes, allNodes, pods, events, slices, services] = await Promise.all([
      cluster.core.listNode({ labelSelector: selector }),
      cluster.core.listNode({}),
      cluster.core.listPodForAllNamespaces({}),
      cluster.core.listEventForAllNamespaces({}),
      cluster.kc.makeApiClient(cluster.lib.DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'kube-system', labelSelector: 'kubernetes.io/service-name=kube-dns' }),
      cluster.core.listServiceForAllNamespaces({}),
    ]);
    const windowsNodes = nodes.items.filter((n: k8s.V1Node) => opts.nodes.length === 0 || opts.nodes.includes(n.metadata?.name ?? ''));
    if (checkNames) {
      // A typo in --node is a usage error, not a cluster without Windows nodes.
      const problems = opts.nodes
        .filter((name) => !windowsNodes.some((n) => n.metadata?.name === name))
        .map((name) => {
          const any = allNodes.items.find((n) => n.metadata?.name === name);
          if (!any) return `no node named ${name}`;
          if (any.metadata?.labels?.['kubernetes.io/os'] !== 'windows') return `${name} is not a Windows node`;
          return `${name} is not in pool ${opts.pool}`;
        });
      if (problems.length > 0) throw new UsageError(problems.join('; '), { field: '--node' });
    }
    return { serverVersion: facts.gitVersion, facts: { cni: facts.cni, name: facts.name, endpoint: facts.endpoint, ...(facts.clusterDomain ? { clusterDomain: facts.clusterDomain } : {}) }, windowsNodes, allNodes: allNodes.items, pods: pods.items, events: events.items, dnsSlices: slices.items, services: services.items };
  } catch (err) {
    if (isWinK8sError(err)) throw err;
    throw apiError(err, 'read the cluster state for diagnose', server);
  }
}

/** GET nodes/<name>/proxy/healthz: the path `kubectl logs` and `exec` take to port 10250. */
export async function kubeletReachability(cluster: Cluster, nodes: k8s.V1Node[], timeoutMs = 15_000): Promise<NonNullable<Snapshot['kubelet']>> {
  const out: NonNullable<Snapshot['kubelet']> = new Map();
  await mapBounded(nodes, 16, async (n) => {
    const name = n.metadata?.name ?? '';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000}s`)), timeoutMs)));
    try {
      await Promise.race([cluster.core.connectGetNodeProxyWithPath({ name, path: 'healthz' }), timeout]);
      out.set(name, { ok: true });
    } catch (err) {
      out.set(name, { ok: false, error: proxyError(err).error });
    } finally {
      clearTimeout(timer);
    }
  });
  return out;
}

function needsOf(checks: readonly CheckDefinition[], opts: DiagnoseOptions, snap: Snapshot): Set<CheckNeed> {
  const needs = new Set(checks.flatMap((c) => c.needs ?? []));
  if (opts.skipProbes) needs.delete('probes');
  if (opts.skipNodeChecks || !opts.collectNodeReports) needs.delete('nodeReports');
  if (snap.windowsNodes.length === 0) needs.clear();
  return needs;
}

/**
 * Adds the costly data the selected checks need: kubelet reachability, and — in one
 * temporary namespace, deleted however this ends — the probes and the on-node reports.
 */
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Adds the costly data the selected checks need: kubelet reachability, and — in one
 * temporary namespace, deleted however this ends — the on-node reports and the probes. A
 * refusal there (RBAC, admission) fails those checks with the reason and keeps every other
 * result: a read-only user still gets the API checks.
 */
async function gather(cluster: Cluster, snap: Snapshot, needs: Set<CheckNeed>, opts: DiagnoseOptions, budgetMs?: number): Promise<void> {
  const tasks: Promise<void>[] = [];
  const count = `${snap.windowsNodes.length} Windows node${snap.windowsNodes.length === 1 ? '' : 's'}`;
  if (needs.has('kubelet') || needs.has('kubeletConfig') || needs.has('kubeletStats')) opts.progress?.(`asking the kubelets of ${count} through the API server`);
  if (needs.has('kubeletConfig')) {
    tasks.push(
      (async () => {
        snap.kubeletConfig = await readKubeletConfigs(cluster, snap.windowsNodes);
        if (!needs.has('kubelet')) return;
        // A kubelet that served /configz through the proxy is reachable there: /healthz is asked
        // only of the others (each proxied call costs a TLS connection; 100 nodes, 100 fewer).
        const answered = (n: k8s.V1Node) => {
          const d = snap.kubeletConfig?.get(n.metadata?.name ?? '');
          return d !== undefined && 'doc' in d;
        };
        const m = await kubeletReachability(cluster, snap.windowsNodes.filter((n) => !answered(n)));
        for (const n of snap.windowsNodes.filter(answered)) m.set(n.metadata?.name ?? '', { ok: true, via: '/configz' });
        snap.kubelet = m;
      })(),
    );
  } else if (needs.has('kubelet')) {
    tasks.push(kubeletReachability(cluster, snap.windowsNodes).then((m) => void (snap.kubelet = m)));
  }
  if (needs.has('kubeletStats')) tasks.push(readKubeletSummaries(cluster, snap.windowsNodes).then((m) => void (snap.kubeletStats = m)));
  const timeoutMs = Math.min(opts.probeTimeoutMs ?? 120_000, budgetMs ?? Infinity);
  const nodeReportsFailed = (why: string) => {
    if (!needs.has('nodeReports') || snap.nodeReports) return;
    snap.nodeReports = new Map(snap.windowsNodes.map((n) => [n.metadata?.name ?? '', { error: `the node script could not be started: ${why}` }]));
  };
  const probesFailed = (why: string) => {
    if (needs.has('probes') && !snap.probes) snap.probes = { nodes: new Map(), setupError: why };
  };
  if (needs.has('probes') || needs.has('nodeReports')) {
    tasks.push(
      withWorkspace(
        cluster,
        { pollMs: opts.pollMs ?? 1000, privileged: needs.has('nodeReports'), signal: opts.signal, onLeftBehind: (m) => opts.warn?.(m) },
        async (ws) => {
          opts.onNamespace?.(ws.namespace);
          opts.progress?.(`running in-cluster checks in namespace ${ws.namespace} (removed afterwards)`);
          // The node script first: while probe pods run, their HNS endpoints would look leaked to it.
          if (needs.has('nodeReports')) {
            const stop = countPods(ws, `running the node script on ${count} (a HostProcess pod each)`, 'node script pods', opts.progress);
            try {
              snap.nodeReports = await opts.collectNodeReports!(ws, snap);
            } catch (err) {
              nodeReportsFailed(messageOf(err));
            } finally {
              stop();
            }
          }
          if (needs.has('probes') && !opts.signal?.aborted) {
            const stop = countPods(ws, `starting the network probe pods on ${count}`, 'probe pods', opts.progress);
            try {
              snap.probes = await runProbes(ws, {
                windowsNodes: snap.windowsNodes,
                allNodes: snap.allNodes ?? snap.windowsNodes,
                services: snap.services ?? [],
                dnsSlices: snap.dnsSlices,
                externalTarget: opts.externalTarget,
                clusterDomain: snap.facts.clusterDomain ?? 'cluster.local',
                timeoutMs,
                repeat: opts.probeRepeat ?? 10,
                signal: opts.signal,
              });
            } catch (err) {
              probesFailed(messageOf(err));
            } finally {
              stop();
            }
          }
        },
      ).catch((err: unknown) => {
        // The namespace itself was refused.
        nodeReportsFailed(messageOf(err));
        probesFailed(messageOf(err));
      }),
    );
  }
  await Promise.all(tasks);
  opts.onGathered?.(snap);
}

/**
 * Says `step`, then after each poll of the workspace how many of the pods created since have
 * started ("probe pods: 3/8 running"; finished ones count, they ran). The count follows the step
 * after " — ", which the activity line keeps as the same step. Returns the function that stops it.
 */
export function countPods(ws: Workspace, step: string, what: string, progress: ((m: string) => void) | undefined): () => void {
  progress?.(step);
  if (!progress) return () => undefined;
  const before = new Set(ws.knownPods());
  let last = '';
  return ws.onPoll((pods) => {
    const mine = [...pods.values()].filter((p) => !before.has(p.metadata?.name ?? ''));
    if (mine.length === 0) return;
    const started = mine.filter((p) => ['Running', 'Succeeded', 'Failed'].includes(p.status?.phase ?? '')).length;
    const text = `${step} — ${what}: ${started}/${mine.length} running`;
    if (text !== last) progress((last = text));
  });
}

export function isFailing(r: CheckResult, failOn: 'warn' | 'fail'): boolean {
  return r.status === 'fail' || (failOn === 'warn' && r.status === 'warn');
}

/**
 * One round, then with --wait more rounds re-evaluating only what still fails (on a fresh
 * snapshot) until it all passes or the time is up.
 */
export async function diagnose(cluster: Cluster, opts: DiagnoseOptions, onRound?: (round: number, failing: number) => void): Promise<DiagnoseDocument> {
  const deadline = Date.now() + opts.waitMs;
  const first = await takeSnapshot(cluster, opts, true);
  await gather(cluster, first, needsOf(opts.checks, opts, first), opts);
  let results = runChecks(opts.checks, first);
  for (let round = 2; ; round++) {
    const failing = results.filter((r) => isFailing(r, opts.failOn));
    // Skips caused by a failing fatal check are retried with it; other skips (no Linux node,
    // a Docker node without run-command) would not change by waiting.
    const retry = results.filter((r) => isFailing(r, opts.failOn) || (r.status === 'skip' && /^skipped: \S+ (failed|was skipped)$/.test(r.message)));
    if (failing.length === 0 || Date.now() >= deadline || opts.signal?.aborted) break;
    onRound?.(round, failing.length);
    await sleep(Math.min(opts.intervalMs ?? 2000, Math.max(0, deadline - Date.now())), opts.signal);
    const snap = await takeSnapshot(cluster, opts);
    // The node set may change (a node joined): results for new nodes are computed fresh.
    const known = new Set(results.map(resultKey));
    const fresh = snap.windowsNodes.flatMap((n) => opts.checks.map((c) => resultKey({ id: c.id, ...(c.scope === 'node' ? { node: n.metadata?.name } : {}) })));
    const only = new Set([...retry.map(resultKey), ...fresh.filter((k) => !known.has(k))]);
    // Only what the checks to re-run need is gathered again (probes cost pods).
    // A round may not outlast --wait by a whole probe timeout.
    await gather(cluster, snap, needsOf(opts.checks.filter((c) => [...only].some((k) => k.startsWith(`${c.id}@`))), opts, snap), opts, Math.max(5_000, deadline - Date.now()));
    results = runChecks(opts.checks, snap, { previous: results, only });
  }
  return summarize(results);
}
