import type { Command } from 'commander';
import { globalOptions, joinValueOptions, poolOptions, targetOptions, type OptionSpec } from '../../config/options.js';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import type { Style } from '../../output/style.js';

const SPECS: OptionSpec[] = [
  ...Object.values(poolOptions),
  ...Object.values(targetOptions),
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

export interface PlanDocument {
  cluster: {
    name: string;
    version: string;
    endpoint: string;
    caCertHash: string | null;
    flavor: string;
    cni: { type: string; vni: number | null; port: number | null };
    serviceCidr: string | null;
    podCidr: string | null;
    dnsIp: string | null;
  };
  target: { cloud: string | null; region: string | null; windowsVersion: string; runtime: string; kubernetesVersion: string; image: string | null; cni: string; pool: string; count: number };
  nodes: { name: string }[];
  checks: { id: string; status: string; message: string; hint: string | null }[];
  joinable: boolean;
}

async function planHandler(ctx: CommandContext): Promise<number> {
  const { buildPlan } = await import('../../plan/build-plan.js');
  const plan = await buildPlan(ctx, [...SPECS, globalOptions.kubeconfig, globalOptions.context]);
  ctx.output.result(plan, renderPlanHuman);
  // Being denied what join needs is the environment (3), like an unreachable cluster.
  if (plan.checks.some((c) => c.id === 'rbac.permissions' && c.status === 'fail')) return 3;
  return plan.joinable ? 0 : 1;
}

const MARK = { pass: '✔', warn: '!', fail: '✖' } as const;

export function renderPlanHuman(plan: PlanDocument, s: Style): string {
  const c = plan.cluster;
  const t = plan.target;
  const mark = (status: string) => {
    const m = MARK[status as keyof typeof MARK] ?? '?';
    return status === 'pass' ? s.green(m) : status === 'warn' ? s.yellow(m) : s.red(m);
  };
  const lines = [
    s.bold('Cluster'),
    `  ${c.name} (${c.flavor}), Kubernetes ${c.version}, endpoint ${c.endpoint}`,
    `  CA ${c.caCertHash ?? 'unknown'}`,
    `  CNI ${c.cni.type}${c.cni.vni !== null ? ` (VXLAN VNI ${c.cni.vni}, port ${c.cni.port ?? '?'})` : ''}; services ${c.serviceCidr ?? '?'}, pods ${c.podCidr ?? '?'}, DNS ${c.dnsIp ?? '?'}`,
    '',
    s.bold('Target'),
    `  ${t.count} x Windows Server ${t.windowsVersion}, ${t.runtime}, Kubernetes ${t.kubernetesVersion}, CNI ${t.cni}${t.cloud ? ` on ${t.cloud}${t.region ? ` ${t.region}` : ''}` : ''}`,
    `  pool ${t.pool}: ${plan.nodes.map((n) => n.name).join(', ')}`,
    '',
    s.bold('Preflight checks'),
    ...plan.checks.flatMap((ch) => [`  ${mark(ch.status)} ${ch.id.padEnd(22)} ${ch.message}`, ...(ch.hint && ch.status !== 'pass' ? [`    ${s.dim(`hint: ${ch.hint}`)}`] : [])]),
    '',
  ];
  const failed = plan.checks.filter((ch) => ch.status === 'fail').length;
  const warned = plan.checks.filter((ch) => ch.status === 'warn').length;
  lines.push(plan.joinable ? s.green(`joinable${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}`) : s.red(`not joinable: ${failed} check${failed > 1 ? 's' : ''} failed`));
  return lines.join('\n');
}
