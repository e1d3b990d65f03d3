import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import type { Style } from '../../output/style.js';
import type { DiagnoseDocument } from '../../diagnose/types.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command, run: RunCommand): Command {
  const cmd = program
    .command('diagnose')
    .description('check the Windows nodes of a cluster through the API (changes nothing)')
    .option('--node <name>', 'only this Windows node (repeatable)', collect)
    .option('--pool <name>', 'only the nodes of this pool (label win-k8s.io/pool)')
    .option('--checks <pattern>', 'comma list of check id globs; a ! prefix excludes (e.g. node.*,!node.version-skew)')
    .option('--wait <duration>', 're-run failing checks until they pass or the duration (90s, 5m) ends')
    .option('--fail-on <level>', 'exit 1 on a failed check (fail) or also on a warning (warn)', 'fail')
    .option('--junit-file <path>', 'also write the results as JUnit XML')
    .addHelpText('after', '\nExit codes: 0 no check failed, 1 a check failed (or warned, with --fail-on warn), 2 invalid usage, 3 cluster unreachable.');
  cmd.action(async (_opts: unknown, command: Command) => run(command, async () => diagnoseHandler));
  return cmd;
}

async function diagnoseHandler(ctx: CommandContext): Promise<number> {
  const { UsageError, UsageErrors } = await import('../../errors.js');
  const { parseDurationMs } = await import('../../config/validators.js');
  const { selectChecks } = await import('../../diagnose/registry.js');
  const str = (key: string) => ctx.cli.get(key).value as string | undefined;

  const problems: InstanceType<typeof UsageError>[] = [];
  const failOn = str('failOn') ?? 'fail';
  if (failOn !== 'warn' && failOn !== 'fail') problems.push(new UsageError(`expected warn or fail, got "${failOn}"`, { field: '--fail-on' }));
  const waitText = str('wait');
  const waitMs = waitText === undefined ? 0 : parseDurationMs(waitText);
  if (waitMs === undefined) problems.push(new UsageError(`expected a duration like 90s, 5m or 1h, got "${waitText}"`, { field: '--wait' }));
  const { selected, unknown } = selectChecks(str('checks'));
  if (unknown.length > 0) problems.push(new UsageError(`no check matches ${unknown.map((u) => `"${u}"`).join(', ')}`, { field: '--checks' }));
  else if (selected.length === 0) problems.push(new UsageError('the pattern excludes every check', { field: '--checks' }));
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new UsageErrors(problems.map((p) => p.message));

  const { openCluster } = await import('../../cluster/session.js');
  const { diagnose } = await import('../../diagnose/engine.js');
  const fromFile = (key: 'kubeconfig' | 'context') => {
    const v = (ctx.configFile?.data as Record<string, unknown> | undefined)?.[key];
    return typeof v === 'string' ? v : undefined;
  };
  const kubeconfig = str('kubeconfig') ?? fromFile('kubeconfig');
  const context = str('context') ?? fromFile('context');
  const cluster = await openCluster({ kubeconfig, context, env: ctx.env, cwd: ctx.cwd }, ctx.output.sink);
  const doc = await diagnose(
    cluster,
    { nodes: (ctx.cli.get('node').value as string[] | undefined) ?? [], pool: str('pool'), checks: selected, waitMs: waitMs ?? 0, failOn: failOn as 'warn' | 'fail', signal: ctx.signal },
    (round, failing) => ctx.output.info(`${failing} check(s) failing; waiting, round ${round}`),
  );
  const junitFile = str('junitFile');
  if (junitFile) {
    const { writeFile } = await import('node:fs/promises');
    const { resolve } = await import('node:path');
    const { toJUnit } = await import('../../diagnose/junit.js');
    await writeFile(resolve(ctx.cwd, junitFile), toJUnit(doc));
  }
  ctx.output.result(doc, renderDiagnoseHuman);
  return doc.summary.fail > 0 || (failOn === 'warn' && doc.summary.warn > 0) ? 1 : 0;
}

const MARK = { pass: '✔', warn: '!', fail: '✖', skip: '-' } as const;

export function renderDiagnoseHuman(doc: DiagnoseDocument, s: Style): string {
  const paint = { pass: s.green, warn: s.yellow, fail: s.red, skip: s.dim } as const;
  const lines: string[] = [];
  const categories = [...new Set(doc.checks.map((c) => c.category))];
  for (const category of categories) {
    lines.push(s.bold(category));
    for (const c of doc.checks.filter((x) => x.category === category)) {
      lines.push(`  ${paint[c.status](MARK[c.status])} ${c.id}${c.node ? ` [${c.node}]` : ''}: ${c.message}`);
      if (c.status === 'fail' || c.status === 'warn') {
        for (const e of c.evidence ?? []) lines.push(`      ${s.dim(e)}`);
        if (c.hint) lines.push(`    ${s.dim(`hint: ${c.hint}`)}`);
      }
    }
    lines.push('');
  }
  const { pass, warn, fail, skip } = doc.summary;
  const totals = `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed, ${skip} skipped`;
  lines.push(fail > 0 ? s.red(totals) : warn > 0 ? s.yellow(totals) : s.green(totals));
  return lines.join('\n');
}
