import type { Command } from 'commander';
import { globalOptions, poolOptions, cloudOptions, type OptionSpec } from '../../config/options.js';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import { renderList } from '../../output/render-list.js';
import { checkPoolFlag } from '../../config/validators.js';

const SPECS: OptionSpec[] = [poolOptions.cloud, cloudOptions.region, cloudOptions.subscription, cloudOptions.resourceGroup, cloudOptions.location, cloudOptions.azureEndpoint, cloudOptions.project, cloudOptions.zone];

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('list')
    .description('nodes and VMs that win-k8s manages, from the cloud\'s tags and the cluster\'s labels')
    .option('--pool <name>', 'only this pool');
  addOptions(cmd, SPECS);
  cmd.action(async (_opts: unknown, command: Command) => run(command, async () => (ctx: CommandContext) => listHandler(ctx, command.opts().pool as string | undefined)));
  return cmd;
}

async function listHandler(ctx: CommandContext, pool: string | undefined): Promise<number> {
  if (pool !== undefined) checkPoolFlag(pool);
  const { listManaged } = await import('../../join/list-managed.js');
  const doc = await listManaged(ctx, [...SPECS, globalOptions.kubeconfig, globalOptions.context], pool);
  ctx.output.result(doc, renderList);
  return 0;
}
