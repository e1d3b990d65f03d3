import type { Command } from 'commander';
import { cloudOptions, globalOptions, poolOptions, type OptionSpec } from '../../config/options.js';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import { checkPoolFlag } from '../../config/validators.js';

const SPECS: OptionSpec[] = [poolOptions.cloud, cloudOptions.region, cloudOptions.subscription, cloudOptions.resourceGroup, cloudOptions.location, cloudOptions.azureEndpoint, cloudOptions.project, cloudOptions.zone];

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('remove')
    .argument('[nodes...]', 'node names to remove')
    .description('cordon, drain and delete Windows nodes, then delete their VMs and, once a pool is empty, its firewall')
    .option('--pool <name>', 'remove every node and VM of this pool')
    .option('--force', 'also delete pods that no controller manages (they are lost)')
    .option('--drain-timeout <duration>', 'how long to wait for evictions (PodDisruptionBudgets) per node', '5m');
  addOptions(cmd, SPECS);
  cmd.action(async (nodes: string[], opts: { pool?: string; force?: boolean; drainTimeout: string }, command: Command) =>
    run(command, async () => async (ctx: CommandContext) => {
      if (opts.pool !== undefined) checkPoolFlag(opts.pool);
      const { removeManaged } = await import('../../join/remove-managed.js');
      return removeManaged(ctx, [...SPECS, globalOptions.kubeconfig, globalOptions.context], { nodes, pool: opts.pool, force: Boolean(opts.force), drainTimeout: opts.drainTimeout });
    }),
  );
  return cmd;
}
