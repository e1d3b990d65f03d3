import type { Command } from 'commander';
import type { RunCommand } from '../run.js';

/**
 * `win-k8s version`, as `kubectl version` and `gh version`: what a bug report needs, and with
 * -o json a document scripts read. `--version` stays the one-line form.
 */
export function register(program: Command, run: RunCommand): Command {
  return program
    .command('version')
    .description('print the win-k8s version, the Node.js version and the platform (-o json for a document)')
    .action(async (_opts: unknown, cmd: Command) =>
      run(cmd, async () => async (ctx) => {
        const doc = {
          version: ctx.toolVersion,
          node: process.versions.node,
          platform: process.platform,
          arch: process.arch,
        };
        ctx.output.result(doc, (d) => `win-k8s ${d.version} (node ${d.node}, ${d.platform}/${d.arch})`);
      }),
    );
}
