import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import { addOptions } from '../options.js';
import { initOptions } from '../../config/options.js';

export function register(program: Command, run: RunCommand): Command {
  const cmd = program.command('init').description('interactive wizard that writes win-k8s.yaml (needs a terminal)');
  addOptions(cmd, Object.values(initOptions));
  return cmd.action(async (_opts: unknown, command: Command) =>
    run(command, async () => async (ctx: CommandContext) => {
      const { commandValues } = await import('../../config/resolve.js');
      const values = commandValues(ctx, initOptions);
      return initHandler(ctx, { file: (values.value('file') as string | undefined) ?? 'win-k8s.yaml', fileField: values.field('file'), force: values.value('force') === true });
    }),
  );
}

async function initHandler(ctx: CommandContext, opts: { file: string; fileField: string; force?: boolean }): Promise<number> {
  const { existsSync, writeFileSync } = await import('node:fs');
  const { UsageError } = await import('../../errors.js');
  if (!ctx.interactive) {
    throw new UsageError('init asks questions and needs a terminal; without one, write win-k8s.yaml yourself (win-k8s schema shows its shape) or pass flags to plan/join', { field: 'init' });
  }
  // Checked before the wizard asks anything: a missing directory or a directory at the path
  // would otherwise surface only after every question was answered. A symlink is followed:
  // the config holds no secret, and a linked win-k8s.yaml is a common dotfiles setup.
  const { checkOutputTarget } = await import('../../util/secret-file.js');
  const path = checkOutputTarget(ctx.cwd, opts.file, opts.fileField, { followSymlink: true });
  if (existsSync(path) && !opts.force) throw new UsageError(`${path} exists; pass --force to overwrite it`, { field: opts.fileField });
  const { askInit, renderInitConfig } = await import('../../init/wizard.js');
  const { inquirerPrompter } = await import('../../output/inquirer-prompter.js');
  let facts: import('../../cluster/discovery.js').ClusterFacts | undefined;
  try {
    const { openCluster } = await import('../../cluster/session.js');
    const { discover } = await import('../../cluster/discovery.js');
    facts = await discover(await openCluster({ env: ctx.env, cwd: ctx.cwd, kubeconfig: ctx.cli.get('kubeconfig').value as string | undefined, context: ctx.cli.get('context').value as string | undefined, requestTimeoutMs: ctx.requestTimeoutMs, signal: ctx.signal }, ctx.output.sink));
  } catch (err) {
    // Ctrl-C while the cluster is read ends the run; only a cluster that cannot be read is a warning.
    if (ctx.signal.aborted) throw err;
    ctx.output.warn(`cluster not read (${(err as Error).message}); defaults will not come from it`);
  }
  const regions = facts?.placement?.cloud === 'aws' ? [facts.placement.region] : [];
  const loadChoices = async (cloud: 'aws' | 'azure' | 'gcp') => {
    const { ConfigFile } = await import('../../config/schema.js');
    const { loadProvider } = await import('../../cloud/load-provider.js');
    const provider = await loadProvider(cloud, ConfigFile.parse({}), facts?.placement, ctx.output.sink, ctx.env);
    return provider.wizardChoices?.({ controlPlane: facts?.placement });
  };
  const answers = await askInit(inquirerPrompter(ctx.streams.stderr, ctx.signal), facts, regions, loadChoices);
  writeFileSync(path, renderInitConfig(answers, facts));
  ctx.output.success(`wrote ${path}; next: win-k8s plan`);
  return 0;
}
