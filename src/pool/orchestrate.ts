import { pollIntervalFromEnv } from '../config/poll-interval.js';
import type { PoolDeps } from './deps.js';
import type { OptionSpec } from '../config/options.js';
import { JoinCommandSection } from '../config/schema.js';
import { mergeSources, validate } from '../config/resolve.js';
import { computePlan } from '../plan/build-plan.js';
import { CLOUD_ACCESS_CHECK } from '../plan/cloud-facts.js';
import { ExitCode, UsageError } from '../errors.js';
import { loadProvider } from '../cloud/load-provider.js';
import { renderJoinResult } from '../output/render-join.js';
import { runJoin } from './join.js';
import { kubeadmBootstrapper } from './bootstrapper.js';
import { vmBootstrapSource } from './node-source.js';
import { renderPlanHuman } from '../output/render-plan.js';

/** join and provision: plan (preflight) -> show it -> confirm -> create -> wait -> summary. */
export async function orchestrate(ctx: PoolDeps, mode: 'join' | 'provision', specs: OptionSpec[]): Promise<number> {
  const merged = mergeSources({ specs, cli: ctx.cli, env: ctx.env, file: ctx.configFile });
  const { command: rawCommand } = merged.raw as { command?: unknown };
  const command = validate(JoinCommandSection, rawCommand ?? {}, merged, 'command');
  const { plan, facts, config, cluster, checks } = await computePlan(ctx, specs, mode, { askCloud: command.dryRun });

  if (command.dryRun) {
    ctx.output.result(plan, renderPlanHuman);
    ctx.output.info('--dry-run: nothing was changed');
    // No credentials for the cloud (or denied) is the environment, as in a real run.
    if (plan.checks.some((c) => c.id === CLOUD_ACCESS_CHECK && c.status === 'fail')) return ExitCode.environment;
    return plan.joinable ? ExitCode.ok : ExitCode.failed;
  }
  if (ctx.output.format === 'human') ctx.output.writeErr(`${renderPlanHuman(plan, ctx.output.style)}\n`);
  const denied = checks.find((c) => c.id === 'rbac.permissions' && c.status === 'fail');
  if (denied) throw new (await import('../errors.js')).EnvironmentError(denied.message, { ...(denied.hint ? { hint: denied.hint } : {}) });
  // A token join into a managed cluster cannot work, but provisioning VMs there still can.
  const blocking = checks.filter((c) => c.status === 'fail' && !(mode === 'provision' && c.id === 'cluster.flavor'));
  if (blocking.length > 0) {
    ctx.output.error(`preflight failed: ${blocking.map((c) => c.id).join(', ')}; nothing was created`);
    if (ctx.output.format === 'json') ctx.output.result(plan, () => '');
    return ExitCode.failed;
  }
  const cloud = plan.target.cloud;
  if (!cloud) throw new UsageError('cannot tell which cloud to create VMs in: the control plane has no providerID', { field: '--cloud' });
  const provider = await loadProvider(cloud as 'aws' | 'azure' | 'gcp', config, facts.placement, ctx.output.sink, ctx.env);

  const verb = mode === 'join' ? 'join' : 'provision';
  if (!(await ctx.confirm(`${verb} up to ${config.pool.count} Windows node(s) in pool ${config.pool.name} of cluster ${facts.name} on ${cloud}?`))) {
    ctx.output.warn('not confirmed; nothing was changed');
    return ExitCode.failed;
  }

  // On a terminal, a line per node redrawn in place while VMs boot and register.
  const progress = await ctx.output.nodeProgress();
  const { result, exitCode } = await runJoin({
    ctx,
    config,
    plan,
    facts,
    cluster,
    provider,
    mode,
    source: vmBootstrapSource(provider, kubeadmBootstrapper({ plan, config, mode, toolVersion: ctx.toolVersion })),
    concurrency: command.concurrency,
    timeoutMs: command.timeout,
    onFailure: command.onFailure,
    consolePollMs: pollIntervalFromEnv(ctx.env) ?? 15_000,
  }).finally(() => progress.stop());
  ctx.output.result(result, renderJoinResult);
  return exitCode;
}
