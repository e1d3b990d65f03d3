import type { Command } from 'commander';
import { cloudOptions, globalOptions, joinValueOptions, poolOptions, targetOptions, type OptionSpec } from '../../config/options.js';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import { renderPlanHuman } from '../../output/render-plan.js';

const SPECS: OptionSpec[] = [
  ...Object.values(poolOptions),
  ...Object.values(targetOptions),
  // The cloud is asked where the nodes would go and what they would run: the same choices as join.
  ...Object.values(cloudOptions),
  joinValueOptions.apiServer,
  joinValueOptions.caCertHash,
  joinValueOptions.serviceCidr,
  joinValueOptions.clusterCidr,
];

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('plan')
    .description('read the cluster, run the preflight checks and print what join would do (changes nothing)')
    .addHelpText('after', '\nExit codes: 0 joinable, 1 a preflight check failed, 3 cluster unreachable or the user may not do what join needs.');
  addOptions(cmd, SPECS);
  cmd.action(async (_opts: unknown, command: Command) => run(command, async () => planHandler));
  return cmd;
}

async function planHandler(ctx: CommandContext): Promise<number> {
  const { computePlan } = await import('../../plan/build-plan.js');
  const { plan } = await computePlan(ctx, [...SPECS, globalOptions.kubeconfig, globalOptions.context], 'join', { askCloud: true });
  ctx.output.result(plan, renderPlanHuman);
  // Being denied what join needs is the environment (3), like an unreachable cluster.
  if (plan.checks.some((c) => (c.id === 'rbac.permissions' || c.id === 'cloud.access') && c.status === 'fail')) return 3;
  return plan.joinable ? 0 : 1;
}
