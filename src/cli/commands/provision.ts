import type { Command } from 'commander';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import { PROVISION_SPECS, joinLike } from './join.js';

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('provision')
    .description('create Windows Server VMs with the runtime and node binaries installed, without joining them')
    .addHelpText('after', '\nNodes end as Provisioned when their bootstrap reports completion on the serial console.');
  addOptions(cmd, PROVISION_SPECS);
  cmd.action(async (_opts: unknown, command: Command) => run(command, async () => (ctx: CommandContext) => joinLike(ctx, 'provision', PROVISION_SPECS)));
  return cmd;
}
