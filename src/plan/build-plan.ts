import type { PlanDocument } from './plan-document.js';
import type { ConfigSources } from '../config/sources.js';
import type { Output } from '../output/output.js';
import { ConfigFile } from '../config/schema.js';
import { describeSource, mergeSources, validate } from '../config/resolve.js';
import type { OptionSpec } from '../config/options.js';
import { evaluate, refusedFindings } from '../compat/matrix.js';
import { UsageErrors } from '../errors.js';
import { checkDiskSizeForCloud } from '../config/validators.js';
import { checkOutputTarget } from '../util/secret-file.js';
import { discover, type ClusterFacts } from '../cluster/discovery.js';
import { preflight, type Check } from '../cluster/preflight.js';
import { openCluster } from '../cluster/session.js';
import type { Cluster } from '../cluster/client.js';
import type { ConfigFile as Config } from '../config/schema.js';
import { newNodeNames } from './node-names.js';
import { buildPlan, matrixTarget, planTarget } from './plan.js';
import { readCloudFacts, type CloudFactsResult } from './cloud-facts.js';
import { loadProvider } from '../cloud/load-provider.js';

/** Planning reads settings and reports warnings; it never asks or waits. */
export interface PlanDeps extends ConfigSources {
  output: Output;
  /** Bound on each Kubernetes API request (0: none), and Ctrl-C for requests in flight. */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
}

/** The validated config from flags, WIN_K8S_* variables and the config file, for these specs. */
export function resolveConfig(ctx: ConfigSources, specs: OptionSpec[]): Config {
  const merged = mergeSources({ specs, cli: ctx.cli, env: ctx.env, file: ctx.configFile });
  // Per-run values (render.*, command.*) are validated by their commands, not as file fields.
  const { command: _command, render: _render, ...fileShaped } = merged.raw;
  return validate(ConfigFile, fileShaped, merged);
}

export async function openConfiguredCluster(ctx: PlanDeps, specs: OptionSpec[]): Promise<{ config: Config; cluster: Cluster; facts: ClusterFacts }> {
  const config = resolveConfig(ctx, specs);
  const cluster = await openCluster({ kubeconfig: config.kubeconfig, context: config.context, env: ctx.env, cwd: ctx.cwd, requestTimeoutMs: ctx.requestTimeoutMs, signal: ctx.signal }, ctx.output.sink);
  return { config, cluster, facts: await discover(cluster) };
}

/**
 * Validates the config, reads the facts (cluster, preflight) and builds the plan from them.
 * Only reading: nothing changes. The plan itself is buildPlan's (pure).
 */
export async function computePlan(ctx: PlanDeps, specs: OptionSpec[], mode: 'join' | 'provision' = 'join', options: { askCloud?: boolean } = {}): Promise<{ plan: PlanDocument; facts: ClusterFacts; config: Config; cluster: Cluster; checks: Check[] }> {
  const { config, cluster, facts: discovered } = await openConfiguredCluster(ctx, specs);
  // Explicit values win over discovery (a user may know a better endpoint than cluster-info).
  const facts: ClusterFacts = {
    ...discovered,
    ...(config.cluster.apiServer ? { endpoint: config.cluster.apiServer, endpointSource: discovered.endpointSource } : {}),
    ...(config.cluster.caCertHash ? { caCertHash: config.cluster.caCertHash } : {}),
    ...(config.cluster.serviceCidr ? { serviceCidr: config.cluster.serviceCidr } : {}),
    ...(config.cluster.podCidr ? { podCidr: config.cluster.podCidr } : {}),
  };
  for (const note of facts.notes) ctx.output.warn(note);
  const pool = config.pool;
  // The same target the plan prints (buildPlan reads it the same way), judged before any check.
  const planned = planTarget(config, facts);
  const target = matrixTarget(planned);
  // A combination render refuses is refused here the same way (exit 2, naming the choice to
  // make), before any check runs: it is the user's choice of flags, not a state of the
  // cluster, and it cannot be fixed by the cluster's admin (a failed check, exit 1).
  const cloudForLimits = planned.cloud;
  if (cloudForLimits === 'aws' || cloudForLimits === 'azure' || cloudForLimits === 'gcp') checkOtherCloudOptions(ctx, specs, cloudForLimits, config.cloud !== undefined);
  if (cloudForLimits === 'azure' && config.azure.adminPasswordFile) {
    // The passwords file holds secrets and is the only copy of them: its path is checked with
    // the plan (dry runs included), not when the first VM's password is ready to be written.
    checkOutputTarget(ctx.cwd, config.azure.adminPasswordFile, '--admin-password-file');
  }
  if (pool.diskSizeGb !== undefined && (cloudForLimits === 'aws' || cloudForLimits === 'azure' || cloudForLimits === 'gcp')) {
    const problem = checkDiskSizeForCloud(pool.diskSizeGb, cloudForLimits);
    if (problem) throw new UsageErrors([`--disk-size: ${problem}`]);
  }
  const refused = refusedFindings(evaluate(target).findings, pool.allowUnsupported);
  if (refused.length > 0) {
    const hard = refused.some((f) => f.overridable === false);
    throw new UsageErrors(
      refused.map((f) => `unsupported: ${f.message}${f.instead ? `; choose ${f.instead}` : ''} (${f.source})`),
      hard ? undefined : 'pass --allow-unsupported to go on anyway (nodes may not work)',
    );
  }
  const checks = await preflight(cluster, facts, { target, pool: pool.name, taintWindows: pool.taintWindows, allowUnsupported: pool.allowUnsupported });
  const cloud = options.askCloud ? await askCloud(ctx, config, facts, planned) : undefined;
  if (cloud) checks.push(...cloud.checks);
  const nodeNames = newNodeNames(pool.name, pool.count, new Set(facts.nodes.map((n) => n.name)));
  const plan = buildPlan(config, { cluster: facts, checks, nodeNames, cloud: cloud?.facts }, mode);
  return { plan, facts, config, cluster, checks };
}

/**
 * plan and --dry-run ask the cloud what join would ask it before creating anything (reading
 * only), so "joinable" means the cloud agrees too. Without a cloud to ask (no providerID, no
 * --cloud) that is a finding: join could not start either.
 */
async function askCloud(ctx: PlanDeps, config: Config, facts: ClusterFacts, planned: PlanDocument['target']): Promise<CloudFactsResult> {
  const cloud = planned.cloud;
  if (cloud !== 'aws' && cloud !== 'azure' && cloud !== 'gcp') {
    return {
      facts: null,
      checks: [{ id: 'cloud.target', status: 'fail', message: 'cannot tell which cloud to create VMs in: the control plane has no providerID', hint: 'pass --cloud aws, azure or gcp' }],
    };
  }
  const provider = await loadProvider(cloud, config, facts.placement, ctx.output.sink, ctx.env);
  return readCloudFacts(provider, config, facts.placement, planned.windowsVersion);
}

const CLOUD_LABEL = { aws: 'an AWS', azure: 'an Azure', gcp: 'a GCP' } as const;

/**
 * Settings of another cloud than the one the VMs go to (azure.*, gcp.*, aws.*). A flag typed
 * for this run is refused (exit 2): ignoring it silently is a surprise with consequences, e.g.
 * --admin-password-file with AWS would leave the user believing passwords were saved, and
 * --project or --subscription usually means the wrong cloud was picked. The same setting from
 * win-k8s.yaml or a WIN_K8S_* variable only warns: one config file (or CI profile) may well
 * carry a section for each cloud it is used with.
 */
export function checkOtherCloudOptions(ctx: PlanDeps, specs: OptionSpec[], cloud: 'aws' | 'azure' | 'gcp', cloudGiven: boolean): void {
  const merged = mergeSources({ specs, cli: ctx.cli, env: ctx.env, file: ctx.configFile });
  const refused: string[] = [];
  const chosen = cloudGiven ? `--cloud ${cloud}` : `${cloud}, where the control plane runs`;
  for (const [path, source] of merged.sources) {
    const owner = /^(aws|azure|gcp)\.[^.]+$/.exec(path)?.[1] as 'aws' | 'azure' | 'gcp' | undefined;
    if (!owner || owner === cloud) continue;
    const what = `${describeSource(source, path)} is ${CLOUD_LABEL[owner]} setting, but the VMs go to ${chosen}`;
    if (source.kind === 'flag') refused.push(`${what}; drop it or choose --cloud ${owner}`);
    else ctx.output.warn(`${what}: ignored`);
  }
  if (refused.length > 0) throw new UsageErrors(refused);
}