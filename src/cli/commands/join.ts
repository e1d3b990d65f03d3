import type { Command } from 'commander';
import { cloudOptions, globalOptions, joinOptions, joinValueOptions, poolOptions, provisionOptions, proxyOptions, targetOptions, type OptionSpec } from '../../config/options.js';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';

export const JOIN_SPECS: OptionSpec[] = [
  ...Object.values(poolOptions),
  ...Object.values(targetOptions),
  ...Object.values(cloudOptions),
  ...Object.values(joinOptions),
  joinValueOptions.apiServer,
  joinValueOptions.caCertHash,
  joinValueOptions.serviceCidr,
  joinValueOptions.clusterCidr,
  joinValueOptions.tokenTtl,
  ...Object.values(proxyOptions),
];

/**
 * provision's flags: join's, less what only a join uses (the bootstrap token and its lifetime,
 * the Windows taint the kubelet registers with), and a timeout that waits for Provisioned.
 */
export const PROVISION_SPECS: OptionSpec[] = JOIN_SPECS.filter((s) => s !== poolOptions.taintWindows && s !== joinValueOptions.tokenTtl).map((s) =>
  s === joinOptions.timeout ? provisionOptions.timeout : s,
);

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('join')
    .description('create Windows Server VMs, install the runtime and node binaries, join them and wait until Ready')
    .addHelpText(
      'after',
      `
Examples:
  win-k8s join --pool win --count 2 --dry-run           # check the cloud and the cluster, change nothing
  win-k8s join --pool win --count 2 --windows-version 2022 --timeout 30m
  win-k8s join -c win-k8s.yaml -o json --yes             # unattended, one JSON document on stdout

Re-running with the same --pool and --count tops the pool up from the cloud's tags.
Exit codes: 0 all nodes Ready, 1 a node failed or a preflight check failed, 2 usage, 3 cluster or cloud unreachable/denied, 130 interrupted.`,
    );
  addOptions(cmd, JOIN_SPECS);
  cmd.action(async (_opts: unknown, command: Command) => run(command, async () => (ctx: CommandContext) => joinLike(ctx, 'join', JOIN_SPECS)));
  return cmd;
}

export async function joinLike(ctx: CommandContext, mode: 'join' | 'provision', specs: OptionSpec[]): Promise<number> {
  const { orchestrate } = await import('../../pool/orchestrate.js');
  return orchestrate(ctx, mode, [...specs, globalOptions.kubeconfig, globalOptions.context]);
}
