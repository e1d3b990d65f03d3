import type { Command } from 'commander';
import { cloudOptions, globalOptions, managedOptions, removeOptions, type OptionSpec } from '../../config/options.js';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import { checkPoolFlag } from '../../config/validators.js';

const SPECS: OptionSpec[] = [managedOptions.cloud, cloudOptions.region, cloudOptions.subscription, cloudOptions.resourceGroup, cloudOptions.location, cloudOptions.azureEndpoint, cloudOptions.project, cloudOptions.zone];

/**
 * What is removed is named on the command line only (see removeOptions): a spec without a
 * config path, so no variable or file is ever read for it; it is here for its help line.
 */
const POOL_FLAG: OptionSpec = { group: 'nodes', flags: '--pool <name>', description: 'remove every node and VM of this pool (command line only: WIN_K8S_POOL never picks what is removed)', kind: 'string' };

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('remove')
    .argument('[nodes...]', 'node names to remove')
    .description('cordon, drain and delete Windows nodes, then delete their VMs, the firewall of a pool left empty and, with the last pool, the RuntimeClasses and bindings join made');
  addOptions(cmd, [POOL_FLAG, ...Object.values(removeOptions), ...SPECS]);
  cmd.action(async (nodes: string[], opts: { pool?: string }, command: Command) =>
    run(command, async () => async (ctx: CommandContext) => {
      if (opts.pool !== undefined) checkPoolFlag(opts.pool);
      const { commandValues } = await import('../../config/resolve.js');
      const values = commandValues(ctx, removeOptions);
      const { removeManaged } = await import('../../pool/remove.js');
      return removeManaged(ctx, [...SPECS, globalOptions.kubeconfig, globalOptions.context], {
        nodes,
        pool: opts.pool,
        force: values.value('force') === true,
        drainTimeout: (values.value('drainTimeout') as string | undefined) ?? '5m',
        drainTimeoutField: values.field('drainTimeout'),
        dryRun: values.value('dryRun') === true,
        keepClusterObjects: values.value('keepClusterObjects') === true,
      });
    }),
  );
  return cmd;
}
