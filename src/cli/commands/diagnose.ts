import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import type { Style } from '../../output/style.js';
import type { DiagnoseDocument } from '../../diagnose/types.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('diagnose')
    .description('check the Windows nodes of a cluster through the API (changes nothing)')
    .option('--node <name>', 'only this Windows node (repeatable)', collect)
    .option('--pool <name>', 'only the nodes of this pool (label win-k8s.io/pool)')
    .option('--checks <pattern>', 'comma list of check id globs; a ! prefix excludes (e.g. node.*,!node.version-skew)')
    .option('--wait <duration>', 're-run failing checks until they pass or the duration (90s, 5m) ends')
    .option('--fail-on <level>', 'exit 1 on a failed check (fail) or also on a warning (warn)', 'fail')
    .option('--junit-file <path>', 'also write the results as JUnit XML')
    .option('--skip-probes', 'do not run the in-cluster network probes (they create pods in a temporary namespace)')
    .option('--probe-timeout <duration>', 'bound for each probe pod to start and finish', '2m')
    .option('--external-target <host:port>', 'what the egress probe resolves and connects to', 'mcr.microsoft.com:443')
    .option('--skip-node-checks', 'do not run the on-node script (HostProcess pod, or the cloud run-command on Docker nodes)')
    .option('--bundle <file.tar.gz>', 'also write a support bundle: node reports, logs, node/pod/event YAML, secrets redacted')
    .addHelpText('after', '\nExit codes: 0 no check failed, 1 a check failed (or warned, with --fail-on warn), 2 invalid usage, 3 cluster unreachable.');
  cmd.action(async (_opts: unknown, command: Command) => run(command, async () => diagnoseHandler));
  return cmd;
}

async function diagnoseHandler(ctx: CommandContext): Promise<number> {
  const { UsageError, UsageErrors } = await import('../../errors.js');
  const { parseDurationMs } = await import('../../config/validators.js');
  const { selectChecks } = await import('../../diagnose/registry.js');
  const str = (key: string) => ctx.cli.get(key).value as string | undefined;

  const problems: InstanceType<typeof UsageError>[] = [];
  const failOn = str('failOn') ?? 'fail';
  if (failOn !== 'warn' && failOn !== 'fail') problems.push(new UsageError(`expected warn or fail, got "${failOn}"`, { field: '--fail-on' }));
  const waitText = str('wait');
  const waitMs = waitText === undefined ? 0 : parseDurationMs(waitText);
  if (waitMs === undefined) problems.push(new UsageError(`expected a duration like 90s, 5m or 1h, got "${waitText}"`, { field: '--wait' }));
  const probeText = str('probeTimeout') ?? '2m';
  const probeTimeoutMs = parseDurationMs(probeText);
  if (probeTimeoutMs === undefined || probeTimeoutMs < 1000) problems.push(new UsageError(`expected a duration of at least 1s like 90s or 5m, got "${probeText}"`, { field: '--probe-timeout' }));
  const externalTarget = str('externalTarget') ?? 'mcr.microsoft.com:443';
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(externalTarget) || Number(externalTarget.split(':')[1] ?? 443) > 65535) {
    problems.push(new UsageError(`expected host or host:port, got "${externalTarget}"`, { field: '--external-target' }));
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
    if (!/\.(tar\.gz|tgz)$/.test(bundleFile)) problems.push(new UsageError(`expected a file name ending in .tar.gz or .tgz, got "${bundleFile}"`, { field: '--bundle' }));
    else checkTarget(bundleFile, '--bundle');
  }
  const junitFile = str('junitFile');
  if (junitFile !== undefined) checkTarget(junitFile, '--junit-file');
  const { selected, unknown } = selectChecks(str('checks'));
  if (unknown.length > 0) problems.push(new UsageError(`no check matches ${unknown.map((u) => `"${u}"`).join(', ')}`, { field: '--checks' }));
  else if (selected.length === 0) problems.push(new UsageError('the pattern excludes every check', { field: '--checks' }));
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new UsageErrors(problems.map((p) => p.message));

  const { openCluster } = await import('../../cluster/session.js');
  const { diagnose } = await import('../../diagnose/engine.js');
  const { pollIntervalFromEnv } = await import('../../config/poll-interval.js');
  const fromFile = (key: 'kubeconfig' | 'context') => {
    const v = (ctx.configFile?.data as Record<string, unknown> | undefined)?.[key];
    return typeof v === 'string' ? v : undefined;
  };
  const kubeconfig = str('kubeconfig') ?? fromFile('kubeconfig');
  const context = str('context') ?? fromFile('context');
  const cluster = await openCluster({ kubeconfig, context, env: ctx.env, cwd: ctx.cwd }, ctx.output.sink);
  const namespaces: string[] = [];
  const bundle = bundleFile ? new (await import('../../diagnose/bundle-contents.js')).BundleCollector() : undefined;
  const doc = await diagnose(
    cluster,
    {
      nodes: (ctx.cli.get('node').value as string[] | undefined) ?? [],
      pool: str('pool'),
      checks: selected,
      waitMs: waitMs ?? 0,
      failOn: failOn as 'warn' | 'fail',
      signal: ctx.signal,
      skipProbes: ctx.cli.get('skipProbes').value === true,
      skipNodeChecks: ctx.cli.get('skipNodeChecks').value === true,
      probeTimeoutMs: probeTimeoutMs ?? 120_000,
      externalTarget,
      pollMs: pollIntervalFromEnv(ctx.env) ?? 1000,
      progress: (m) => ctx.output.info(m),
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
    (round, failing) => ctx.output.info(`${failing} check(s) failing; waiting, round ${round}`),
  );
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
  const { loadProvider } = await import('../../join/load-provider.js');
  const config = resolveConfig(ctx, Object.values(cloudOptions));
  return loadProvider(cloud, config, parseProviderId(providerId), ctx.output.sink, ctx.env);
}

const MARK = { pass: '✔', warn: '!', fail: '✖', skip: '-' } as const;

export function renderDiagnoseHuman(doc: DiagnoseDocument, s: Style): string {
  const paint = { pass: s.green, warn: s.yellow, fail: s.red, skip: s.dim } as const;
  const lines: string[] = [];
  const categories = [...new Set(doc.checks.map((c) => c.category))];
  for (const category of categories) {
    lines.push(s.bold(category));
    for (const c of doc.checks.filter((x) => x.category === category)) {
      lines.push(`  ${paint[c.status](MARK[c.status])} ${c.id}${c.node ? ` [${c.node}]` : ''}: ${c.message}`);
      if (c.status === 'fail' || c.status === 'warn') {
        for (const e of c.evidence ?? []) lines.push(`      ${s.dim(e)}`);
        if (c.hint) lines.push(`    ${s.dim(`hint: ${c.hint}`)}`);
      }
    }
    lines.push('');
  }
  const { pass, warn, fail, skip } = doc.summary;
  const totals = `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed, ${skip} skipped`;
  lines.push(fail > 0 ? s.red(totals) : warn > 0 ? s.yellow(totals) : s.green(totals));
  return lines.join('\n');
}
