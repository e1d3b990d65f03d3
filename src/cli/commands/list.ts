import type { Command } from 'commander';
import { globalOptions, listOptions, managedOptions, cloudOptions, type OptionSpec } from '../../config/options.js';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import { renderList } from '../../output/render-list.js';
import { checkPoolFlag } from '../../config/validators.js';

const SPECS: OptionSpec[] = [managedOptions.cloud, cloudOptions.region, cloudOptions.subscription, cloudOptions.resourceGroup, cloudOptions.location, cloudOptions.azureEndpoint, cloudOptions.project, cloudOptions.zone];

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('list')
    .description('nodes and VMs that win-k8s manages, from the cloud\'s tags and the cluster\'s labels');
  addOptions(cmd, [...Object.values(listOptions), ...SPECS]);
  cmd.action(async (_opts: unknown, command: Command) => run(command, async () => listHandler));
  return cmd;
}

async function listHandler(ctx: CommandContext): Promise<number> {
  const { commandValues } = await import('../../config/resolve.js');
  const opts = commandValues(ctx, listOptions);
  const pool = opts.value('pool') as string | undefined;
  if (pool !== undefined) checkPoolFlag(pool, opts.field('pool'));
  const { listManaged } = await import('../../pool/list.js');
  const doc = await listManaged(ctx, [...SPECS, globalOptions.kubeconfig, globalOptions.context], pool);
  ctx.output.result(doc, renderList);
  return 0;
}
