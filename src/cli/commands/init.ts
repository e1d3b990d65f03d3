import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { RunCommand } from '../run.js';
import { addOptions } from '../options.js';
import { initOptions, joinValueOptions } from '../../config/options.js';

/** --api-server as join has it (same variable, same rule): the endpoint written when cluster-info holds a loopback one. */
const initSpecs = { ...initOptions, apiServer: joinValueOptions.apiServer };

export function register(program: Command, run: RunCommand): Command {
  const cmd = program.command('init').description('wizard that writes win-k8s.yaml and its JSON Schema (--defaults: without questions)');
  addOptions(cmd, Object.values(initSpecs));
  return cmd.action(async (_opts: unknown, command: Command) =>
    run(command, async () => async (ctx: CommandContext) => {
      const { commandValues } = await import('../../config/resolve.js');
      const values = commandValues(ctx, initSpecs);
      const { runInit } = await import('../../init/run.js');
      const apiServer = values.value('apiServer') as string | undefined;
      return runInit(
        {
          output: ctx.output,
          env: ctx.env,
          cwd: ctx.cwd,
          signal: ctx.signal,
          interactive: ctx.interactive,
          readCluster: async () => {
            const { openCluster } = await import('../../cluster/session.js');
            const { discover } = await import('../../cluster/discovery.js');
            const session = { env: ctx.env, cwd: ctx.cwd, kubeconfig: ctx.cli.get('kubeconfig').value as string | undefined, context: ctx.cli.get('context').value as string | undefined, requestTimeoutMs: ctx.requestTimeoutMs, signal: ctx.signal };
            return discover(await openCluster(session, ctx.output.sink));
          },
          // Loaded only when a question is asked: --defaults never needs the prompt library.
          prompter: async () => (await import('../../output/inquirer-prompter.js')).inquirerPrompter(ctx.streams.stderr, ctx.signal),
          loadChoices: async (cloud, where) => {
            const { ConfigFile } = await import('../../config/schema.js');
            const { loadProvider } = await import('../../cloud/load-provider.js');
            const config = ConfigFile.parse({ pool: where.region ? { region: where.region } : {}, ...(where.zone ? { gcp: { zone: where.zone } } : {}) });
            const provider = await loadProvider(cloud, config, where.controlPlane, ctx.output.sink, ctx.env);
            return provider.wizardChoices?.({ controlPlane: where.controlPlane });
          },
        },
        {
          file: (values.value('file') as string | undefined) ?? 'win-k8s.yaml',
          fileField: values.field('file'),
          force: values.value('force') === true,
          defaults: values.value('defaults') === true,
          apiServer,
          apiServerField: values.field('apiServer'),
        },
      );
    }),
  );
}
