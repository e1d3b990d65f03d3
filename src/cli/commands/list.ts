import type { Command } from 'commander';
import { globalOptions, poolOptions, cloudOptions, type OptionSpec } from '../../config/options.js';
import { addOptions } from '../options.js';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import type { Style } from '../../output/style.js';

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

export interface ListRow {
  name: string;
  pool: string;
  cloud: string;
  instanceId: string | null;
  vmState: string;
  nodeStatus: string;
}

async function listHandler(ctx: CommandContext, pool: string | undefined): Promise<number> {
  if (pool !== undefined) await (await import('./remove.js')).checkPoolFlag(pool);
  const { listManaged } = await import('../../join/list-managed.js');
  const doc = await listManaged(ctx, [...SPECS, globalOptions.kubeconfig, globalOptions.context], pool);
  ctx.output.result(doc, renderList);
  return 0;
}

function renderList(doc: { nodes: ListRow[]; tokens: { id: string; pool: string; expiresAt: string | null }[] }, s: Style): string {
  const tokens = doc.tokens.map((t) => s.yellow(`live bootstrap token ${t.id} of pool ${t.pool}${t.expiresAt ? ` (expires ${t.expiresAt})` : ''}`));
  if (doc.nodes.length === 0) return ['no Windows nodes or VMs managed by win-k8s', ...tokens].join('\n');
  const header = ['NAME', 'POOL', 'CLOUD', 'INSTANCE', 'VM', 'NODE'];
  const rows = doc.nodes.map((n) => [n.name, n.pool, n.cloud, n.instanceId ?? '-', n.vmState, n.nodeStatus]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [s.bold(line(header)), ...rows.map((r) => (r[4] === 'Missing' || r[5] === 'Missing' ? s.yellow(line(r)) : line(r))), ...tokens].join('\n');
}
