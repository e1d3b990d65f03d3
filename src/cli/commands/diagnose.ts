import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { addOptions } from '../options.js';
import { diagnoseOptions, globalOptions } from '../../config/options.js';
import type { RunCommand } from '../run.js';
import { renderDiagnoseHuman } from '../../output/render-diagnose.js';

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('diagnose')
    .description('check the Windows nodes of a cluster through the API (changes nothing)')
    .addHelpText('after', '\nExit codes: 0 no check failed, 1 a check failed (or warned, with --fail-on warn), 2 invalid usage, 3 cluster unreachable.');
  addOptions(cmd, Object.values(diagnoseOptions));
  cmd.action(async (_opts: unknown, command: Command) => run(command, async () => diagnoseHandler));
  return cmd;
}

async function diagnoseHandler(ctx: CommandContext): Promise<number> {
  const { UsageError, UsageErrors } = await import('../../errors.js');
  const { durationProblem, parseDuration } = await import('../../config/duration.js');
  const { selectChecks } = await import('../../diagnose/registry.js');
  const { commandValues, mergeSources } = await import('../../config/resolve.js');
  const opts = commandValues(ctx, diagnoseOptions);
  const str = (key: keyof typeof diagnoseOptions) => opts.value(key) as string | undefined;

  const problems: InstanceType<typeof UsageError>[] = [];
  const failOn = str('failOn') ?? 'fail';
  if (failOn !== 'warn' && failOn !== 'fail') problems.push(new UsageError(`expected warn or fail, got "${failOn}"`, { field: opts.field('failOn') }));
  // One duration parser and wording for every duration flag (config/duration.ts).
  const durationFlag = (key: 'wait' | 'probeTimeout', text: string) => {
    const problem = durationProblem(text, diagnoseOptions[key].duration);
    if (problem) problems.push(new UsageError(problem, { field: opts.field(key) }));
    return parseDuration(text, diagnoseOptions[key].duration);
  };
  const waitText = str('wait');
  const waitMs = waitText === undefined ? 0 : durationFlag('wait', waitText);
  const probeTimeoutMs = durationFlag('probeTimeout', str('probeTimeout') ?? '2m');
  const externalTarget = str('externalTarget') ?? 'mcr.microsoft.com:443';
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(externalTarget) || Number(externalTarget.split(':')[1] ?? 443) > 65535) {
    problems.push(new UsageError(`expected host or host:port, got "${externalTarget}"`, { field: opts.field('externalTarget') }));
  }
  // Output paths are checked before any check runs: a missing directory or a directory in the
  // way is a usage error naming the flag, not an internal error after minutes of probes.
  const { checkOutputTarget } = await import('../../util/secret-file.js');
  const checkTarget = (file: string, field: string) => {
    try {
      checkOutputTarget(ctx.cwd, file, field);
    } catch (err) {
      problems.push(err as InstanceType<typeof UsageError>);
    }
  };
  const bundleFile = str('bundle');
  if (bundleFile !== undefined) {
    if (!/\.(tar\.gz|tgz)$/.test(bundleFile)) problems.push(new UsageError(`expected a file name ending in .tar.gz or .tgz, got "${bundleFile}"`, { field: opts.field('bundle') }));
    else checkTarget(bundleFile, opts.field('bundle'));
  }
  const junitFile = str('junitFile');
  if (junitFile !== undefined) checkTarget(junitFile, opts.field('junitFile'));
  const { selected, unknown } = selectChecks(str('checks'));
  if (unknown.length > 0) problems.push(new UsageError(`no check matches ${unknown.map((u) => `"${u}"`).join(', ')}`, { field: opts.field('checks') }));
  else if (selected.length === 0) problems.push(new UsageError('the pattern excludes every check', { field: opts.field('checks') }));
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new UsageErrors(problems.map((p) => p.message));

  const { openCluster } = await import('../../cluster/session.js');
  const { diagnose } = await import('../../diagnose/engine.js');
  const { pollIntervalFromEnv } = await import('../../config/poll-interval.js');
  // --kubeconfig / --context, WIN_K8S_KUBECONFIG / WIN_K8S_CONTEXT, then the file: as join reads them.
  const where = mergeSources({ specs: [globalOptions.kubeconfig, globalOptions.context], cli: ctx.cli, env: ctx.env, file: ctx.configFile }).raw;
  const kubeconfig = typeof where.kubeconfig === 'string' ? where.kubeconfig : undefined;
  const context = typeof where.context === 'string' ? where.context : undefined;
  const cluster = await openCluster({ kubeconfig, context, env: ctx.env, cwd: ctx.cwd, requestTimeoutMs: ctx.requestTimeoutMs, signal: ctx.signal }, ctx.output.sink);
  const namespaces: string[] = [];
  const bundle = bundleFile ? new (await import('../../diagnose/bundle-contents.js')).BundleCollector() : undefined;
  // A spinner on a terminal, a line every few seconds off one: probe pods take a while to start.
  const activity = await ctx.output.activity('reading the cluster');
  const doc = await diagnose(
    cluster,
    {
      nodes: (opts.value('node') as string[] | undefined) ?? [],
      pool: str('pool'),
      checks: selected,
      waitMs: waitMs ?? 0,
      failOn: failOn as 'warn' | 'fail',
      signal: ctx.signal,
      skipProbes: opts.value('skipProbes') === true,
      skipNodeChecks: opts.value('skipNodeChecks') === true,
      probeTimeoutMs: probeTimeoutMs ?? 120_000,
      externalTarget,
      pollMs: pollIntervalFromEnv(ctx.env) ?? 1000,
      progress: (m) => activity.update(m),
      warn: (m) => ctx.output.warn(m),
      onNamespace: (name) => namespaces.push(name),
      collectNodeReports: async (ws, snap) => {
        const { collectNodeReports } = await import('../../diagnose/node-exec.js');
        const { remoteRunners } = await import('../../diagnose/remote.js');
        return collectNodeReports(ws, snap, {
          timeoutMs: probeTimeoutMs ?? 120_000,
          signal: ctx.signal,
          collect: bundle !== undefined,
          ...(bundle ? { onCollected: bundle.onCollected } : {}),
          remote: remoteRunners({ clusterName: snap.facts.name ?? 'kubernetes', signal: ctx.signal, loadProvider: (cloud, providerId) => providerFor(ctx, cloud, providerId) }),
        });
      },
      ...(bundle ? { onGathered: bundle.onGathered } : {}),
    },
    (round, failing) => activity.update(`${failing} check(s) failing; waiting, round ${round}`),
  ).finally(() => activity.stop());
  if (ctx.signal.aborted) {
    const { InterruptedError } = await import('../../errors.js');
    // The namespace's deletion was asked for on the way out; a failure to do so was warned about.
    throw new InterruptedError(namespaces.length > 0 ? `diagnose interrupted; deleted its temporary namespace ${namespaces.join(', ')}` : 'diagnose interrupted');
  }
  const { writeSecretFile } = await import('../../util/secret-file.js');
  if (junitFile) {
    const { toJUnit } = await import('../../diagnose/junit.js');
    // 0600 like the bundle: its evidence lines quote node logs and events, redacted but still
    // the cluster's internals, and a CI workspace is often shared.
    writeSecretFile(ctx.cwd, junitFile, toJUnit(doc, { failOn: failOn as 'warn' | 'fail' }), '--junit-file');
  }
  if (bundle && bundleFile) {
    const { buildBundle } = await import('../../diagnose/bundle.js');
    writeSecretFile(ctx.cwd, bundleFile, buildBundle(await bundle.entries(doc)), '--bundle');
    ctx.output.info(`support bundle written to ${bundleFile} (secrets redacted)`);
  }
  ctx.output.result(doc, renderDiagnoseHuman);
  return doc.summary.fail > 0 || (failOn === 'warn' && doc.summary.warn > 0) ? 1 : 0;
}

/**
 * The cloud provider for a Docker node's run-command, configured as `list` and `remove` are
 * (flags, WIN_K8S_* environment, config file), placed by the node's own providerID.
 */
async function providerFor(ctx: CommandContext, cloud: 'aws' | 'azure' | 'gcp', providerId: string) {
  const { resolveConfig } = await import('../../plan/build-plan.js');
  const { cloudOptions } = await import('../../config/options.js');
  const { parseProviderId } = await import('../../cluster/provider-id.js');
  const { loadProvider } = await import('../../cloud/load-provider.js');
  const config = resolveConfig(ctx, Object.values(cloudOptions));
  return loadProvider(cloud, config, parseProviderId(providerId), ctx.output.sink, ctx.env);
}
