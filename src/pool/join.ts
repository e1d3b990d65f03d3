import type { PoolDeps } from './deps.js';
import type { CloudProvider, ManagedVm, VmResult } from '../cloud/provider.js';
import type { ConfigFile } from '../config/schema.js';
import type { ClusterFacts } from '../cluster/discovery.js';
import type { Cluster } from '../cluster/client.js';
import type { PlanDocument } from '../plan/plan-document.js';
import type { NodeSource } from './node-source.js';
import { leaseBootstrapToken, listPoolTokens, type TokenLease } from '../cluster/tokens.js';
import { labelAndTaintNodes, POOL_LABEL, waitForNodes, WINDOWS_TAINT } from '../cluster/nodes.js';
import { ensureRuntimeClasses } from '../cluster/runtime-classes.js';
import { applyManifest, CALICO_KUBE_PROXY_WINDOWS, WINDOWS_NODE_RBAC } from '../cluster/manifests.js';
import { InterruptedError, OperationError, UsageError } from '../errors.js';
import { consoleTail, watchConsoles } from './console.js';
import type { JoinResult, NodeOutcome } from './result.js';
import { newNodeNames } from '../plan/node-names.js';
import { StepRunner } from './step-runner.js';

export interface JoinInput {
  ctx: PoolDeps;
  config: ConfigFile;
  plan: PlanDocument;
  facts: ClusterFacts;
  cluster: Cluster;
  provider: CloudProvider;
  mode: 'join' | 'provision';
  /** Where the nodes come from: VMs running a bootstrapper (kubeadm's token join today). */
  source: NodeSource;
  concurrency: number;
  timeoutMs: number;
  onFailure: 'keep' | 'delete';
  /** How often a booting VM's console is read for its first bootstrap line. */
  consolePollMs: number;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * The join engine: tops the pool up to its count from the tags, creates the missing VMs with
 * one bootstrap script each, waits for their Nodes, finishes them (labels, taint,
 * RuntimeClasses, CNI pieces) and always deletes the bootstrap token.
 */
export async function runJoin(input: JoinInput): Promise<{ result: JoinResult; exitCode: number }> {
  const { ctx, config, plan, facts, cluster, provider, mode, source } = input;
  if (source.kind !== 'vm-bootstrapper') {
    // buildPlan refuses this kind already; a caller that skipped the plan is stopped before anything exists.
    throw new UsageError(`join does not offer the ${source.kind} node source: it creates VMs and joins them with a bootstrapper`);
  }
  const out = ctx.output;
  const started = Date.now();
  const ref = { cluster: facts.name, pool: config.pool.name };
  const steps = new StepRunner(plan.steps, out.sink);

  const existing = await provider.listVms(ref);
  const live = existing.filter((vm) => vm.state !== 'shutting-down' && vm.state !== 'terminated');
  const missing = Math.max(0, config.pool.count - live.length);
  const taken = new Set([...facts.nodes.map((n) => n.name), ...live.map((vm) => vm.nodeName)]);
  // The plan's names are reused when the pool was empty, so `plan` shows what `join` creates.
  const names = live.length === 0 && plan.nodes.length === missing ? plan.nodes.map((n) => n.name) : newNodeNames(config.pool.name, missing, taken);
  if (live.length > 0) out.info(`pool ${ref.pool} has ${live.length} VM(s) already (${live.map((v) => v.nodeName).join(', ')}); ${missing === 0 ? 'nothing to create' : `creating ${missing} more`}`);

  const outcomes: NodeOutcome[] = live.map((vm) => existingOutcome(vm, facts, provider.cloud));
  if (missing === 0) {
    for (const id of ['firewall', 'token', 'vms', 'ready', 'provisioned', 'delete-token']) {
      if (plan.steps.some((s) => s.id === id)) steps.skip(id, `pool ${ref.pool} has its ${live.length} VM(s) already`);
    }
    return finish(input, outcomes, started, steps);
  }

  out.info(`resolving image, network and firewall on ${provider.cloud}`);
  const [image, placement] = await Promise.all([
    provider.resolveImage({ windowsVersion: plan.target.windowsVersion, edition: config.pool.edition, image: config.pool.image }),
    provider.resolvePlacement({ controlPlane: facts.placement }),
  ]);
  const firewall = await steps.run('firewall', () => provider.ensureFirewall(ref, placement));
  out.info(`firewall ${firewall.id} ${firewall.created ? 'created' : 'already there'}`);

  let lease: TokenLease | undefined;
  const releaseToken = async () => {
    if (lease && !lease.isReleased) {
      await lease.release();
      out.info(`deleted bootstrap token ${lease.id}`);
    }
  };
  const releaseOrWarn = () =>
    releaseToken().catch((err: unknown) => out.warn(`could not delete bootstrap token ${lease!.id}: ${(err as Error).message}; it expires at ${lease!.expiresAt.toISOString()}`));
  const onAbort = () => void releaseOrWarn();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (source.needsToken) {
      // Reading the pool's tokens needs list on Secrets in kube-system, which creating one does
      // not: a user allowed only to create still joins, without this warning.
      const leftover = await listPoolTokens(cluster, ref.pool).catch((err: unknown) => {
        out.sink({ level: 'debug', message: `could not look for earlier bootstrap tokens: ${(err as Error).message}` });
        return [];
      });
      for (const left of leftover) {
        out.warn(
          `bootstrap token ${left.id} of pool ${ref.pool} from an earlier run is still valid${left.expiresAt ? ` until ${left.expiresAt}` : ''}; if no join is running, delete it: kubectl -n kube-system delete secret bootstrap-token-${left.id}`,
        );
      }
      lease = await steps.run('token', () => leaseBootstrapToken(cluster, { pool: ref.pool, ttlSeconds: config.cluster.tokenTtl, description: `win-k8s join of pool ${ref.pool}` }, out.sink));
      out.addSecret(lease.token);
      out.info(`created bootstrap token ${lease.id} (expires ${lease.expiresAt.toISOString()})`);
    }
    out.info(`creating ${names.length} VM(s) in parallel (at most ${input.concurrency} at a time): ${names.join(', ')}`);
    const createStarted = Date.now();
    const topUp = live.length > 0 ? `create ${names.length} VM(s) to top pool ${ref.pool} up to ${config.pool.count}` : undefined;
    const created = await steps.run('vms', () => source.createNodes({ ref, names, placement, image, firewall, token: lease?.token, concurrency: input.concurrency, signal: ctx.signal }), topUp);
    for (const vm of created) {
      if (vm.error) out.error(vm.error, vm.nodeName);
      else out.success(`running as ${vm.instanceId} (${vm.privateIp ?? 'no IP yet'})`, vm.nodeName);
    }
    if (ctx.signal.aborted) throw interrupted(created, ref.pool);

    const fresh = await steps.run(mode === 'join' ? 'ready' : 'provisioned', () => waitForBootstrap(input, created, createStarted));
    outcomes.push(...fresh);
    await forgetBootstrap(input, created);
    if (ctx.signal.aborted) throw interrupted(created, ref.pool);
    return await finish(input, outcomes, started, steps);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (mode === 'join') {
      // Its failure is warned about with the token's expiry, and recorded as the step's.
      await steps.run('delete-token', releaseToken).catch((err: unknown) => out.warn(`could not delete bootstrap token ${lease?.id ?? ''}: ${(err as Error).message}${lease ? `; it expires at ${lease.expiresAt.toISOString()}` : ''}`));
    }
  }
}

/** The join is over for these VMs: their bootstrap (and the token in it) need not stay readable. */
async function forgetBootstrap(input: JoinInput, created: VmResult[]): Promise<void> {
  const ids = created.filter((vm) => vm.instanceId).map((vm) => vm.instanceId!);
  if (ids.length === 0 || !input.provider.forgetBootstrap) return;
  await input.provider.forgetBootstrap(ids).catch((err: unknown) => {
    input.ctx.output.warn(`could not remove the bootstrap from the instance metadata of ${ids.join(', ')}: ${(err as Error).message}; the token in it is deleted from the cluster all the same`);
  });
}

function interrupted(created: VmResult[], pool: string): InterruptedError {
  const ids = created.filter((vm) => vm.instanceId).map((vm) => `${vm.nodeName} (${vm.instanceId})`);
  return new InterruptedError(`interrupted; the bootstrap token was deleted. VMs that exist: ${ids.length > 0 ? ids.join(', ') : 'none'}`, {
    hint: ids.length > 0 ? `remove them with: win-k8s remove --pool ${pool} --yes` : 'nothing was created',
  });
}

function existingOutcome(vm: ManagedVm, facts: ClusterFacts, cloud: string): NodeOutcome {
  const node = facts.nodes.find((n) => n.name === vm.nodeName);
  // A VM the cloud gave up on (Azure provisioning "failed") or that is stopped still counts
  // toward the pool, so a re-run does not silently buy another; it is reported, not hidden.
  if (!node && (vm.state === 'failed' || vm.state === 'stopped' || vm.state === 'stopping')) {
    return {
      name: vm.nodeName,
      instanceId: vm.instanceId,
      privateIp: vm.privateIp ?? null,
      status: 'Failed',
      phases: {},
      existing: true,
      error: `the VM is ${vm.state} and has no Node; delete it (win-k8s remove ${vm.nodeName} --cloud ${cloud} --yes) and run join again to replace it`,
    };
  }
  return {
    name: vm.nodeName,
    instanceId: vm.instanceId,
    privateIp: vm.privateIp ?? null,
    status: node?.ready ? 'Ready' : node ? 'TimedOut' : 'Provisioned',
    phases: {},
    existing: true,
    ...(node && !node.ready ? { error: 'the Node exists but is not Ready' } : {}),
  };
}

/** Watches the new Nodes (join) or the console's completion line (provision), with phase times. */
async function waitForBootstrap(input: JoinInput, created: VmResult[], createStarted: number): Promise<NodeOutcome[]> {
  const { ctx, cluster, provider, mode } = input;
  const out = ctx.output;
  const ok = created.filter((vm) => vm.instanceId && !vm.error);
  const outcomes = new Map<string, NodeOutcome>();
  for (const vm of created) {
    outcomes.set(vm.nodeName, {
      name: vm.nodeName,
      instanceId: vm.instanceId ?? null,
      privateIp: vm.privateIp ?? null,
      status: vm.error ? 'Failed' : 'TimedOut',
      phases: vm.provisionSeconds !== undefined ? { provision: vm.provisionSeconds } : {},
      ...(vm.error ? { error: vm.error } : {}),
    });
  }
  if (ok.length === 0) return [...outcomes.values()];

  const waitStarted = Date.now();
  const stopConsole = new AbortController();
  const control: { giveUp?: (name: string) => void } = {};
  const consoleDone = watchConsoles({
    provider,
    output: out,
    mode,
    consolePollMs: input.consolePollMs,
    timeoutMs: input.timeoutMs,
    // Either signal ends the watch: the wait's end (every node Ready, or given up on) or Ctrl-C.
    signal: AbortSignal.any([stopConsole.signal, ctx.signal]),
    vms: ok,
    createStarted,
    outcomes,
    failed: (name) => control.giveUp?.(name),
  });
  try {
    if (mode === 'join') {
      const results = await waitForNodes(cluster, ok.map((vm) => vm.nodeName), {
        timeoutMs: input.timeoutMs,
        signal: ctx.signal,
        control,
        onEvent: (name, event) => out.info(event === 'registered' ? 'Node registered' : 'Node is Ready', name),
      });
      for (const r of results) {
        const o = outcomes.get(r.name)!;
        const offset = seconds(waitStarted - createStarted);
        if (r.registeredAt !== undefined) o.phases.register = seconds(r.registeredAt) + offset;
        if (r.readyAt !== undefined) o.phases.ready = seconds(r.readyAt) + offset;
        // A node given up on keeps the failure its console showed.
        if (r.status !== 'Failed') o.status = r.status;
      }
    } else {
      await consoleDone;
    }
  } finally {
    stopConsole.abort();
    await consoleDone;
  }
  for (const o of outcomes.values()) {
    if (o.status !== 'TimedOut' || !o.instanceId) continue;
    const tail = consoleTail(await provider.consoleOutput(o.instanceId).catch(() => ''));
    o.error = `not ${mode === 'join' ? 'Ready' : 'provisioned'} after ${Math.round(input.timeoutMs / 1000)}s; ${tail ? `last bootstrap lines:\n${tail}` : 'no bootstrap output on the console yet'}`;
  }
  return [...outcomes.values()];
}

async function finish(input: JoinInput, outcomes: NodeOutcome[], started: number, steps: StepRunner): Promise<{ result: JoinResult; exitCode: number }> {
  const { ctx, cluster, config, facts, provider, mode } = input;
  const out = ctx.output;
  const ready = outcomes.filter((o) => o.status === 'Ready').map((o) => o.name);
  if (mode === 'join' && ready.length > 0) {
    await steps.run('label', () => labelAndTaintNodes(cluster, ready, { labels: { [POOL_LABEL]: config.pool.name }, ...(config.pool.taintWindows ? { taints: [WINDOWS_TAINT] } : {}) }));
    const classes = await steps.run('runtimeclasses', async () => ensureRuntimeClasses(cluster, { builds: await windowsBuilds(cluster), taintWindows: config.pool.taintWindows, hyperv: input.plan.target.hypervIsolation }));
    out.info(`RuntimeClasses: ${classes.classes.map((r) => `${r.name} ${r.action}`).join(', ') || 'none'}`);
    if (input.plan.target.cni === 'flannel') await steps.run('rbac', () => applyManifest(cluster, WINDOWS_NODE_RBAC, {}));
    if (input.plan.target.cni === 'calico') await steps.run('calico', () => applyManifest(cluster, CALICO_KUBE_PROXY_WINDOWS, { KUBERNETES_VERSION: input.plan.target.kubernetesVersion }));
  } else if (mode === 'join') {
    for (const id of ['label', 'runtimeclasses', 'rbac', 'calico']) if (input.plan.steps.some((s) => s.id === id)) steps.skip(id, 'no node is Ready');
  }
  const failed = outcomes.filter((o) => o.status === 'Failed' || o.status === 'TimedOut');
  if (failed.length > 0) {
    const withVm = failed.filter((o) => o.instanceId && !o.existing);
    if (input.onFailure === 'delete' && withVm.length > 0) {
      out.warn(`--on-failure delete: deleting ${withVm.map((o) => o.name).join(', ')}`);
      await provider.deleteVms(withVm.map((o) => o.instanceId!));
      for (const o of withVm) o.error = `${o.error ?? 'failed'} (VM deleted: --on-failure delete)`;
      const ref = { cluster: facts.name, pool: config.pool.name };
      if ((await provider.listVms(ref)).length === 0) {
        for (const id of await provider.deletePoolResources(ref)) out.info(`deleted ${id}: the pool is empty`);
      }
    } else if (withVm.length > 0) {
      out.warn(`kept the failed VM(s) for inspection; remove them with: win-k8s remove ${withVm.map((o) => o.name).join(' ')} --cloud ${provider.cloud} --yes`);
    }
  }
  const result: JoinResult = { pool: config.pool.name, cluster: facts.name, nodes: outcomes, steps: steps.outcomes, durationSeconds: Math.round((Date.now() - started) / 1000) };
  return { result, exitCode: failed.length > 0 ? 1 : 0 };
}

async function windowsBuilds(cluster: Cluster): Promise<string[]> {
  try {
    const nodes = await cluster.core.listNode({ labelSelector: 'kubernetes.io/os=windows' });
    return [...new Set(nodes.items.map((n) => n.metadata?.labels?.['node.kubernetes.io/windows-build']).filter((b): b is string => Boolean(b)))];
  } catch (err) {
    throw new OperationError(`could not list Windows nodes for RuntimeClasses: ${(err as Error).message}`);
  }
}
