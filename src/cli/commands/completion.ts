import { Argument, type Command } from 'commander';
import type { RunCommand } from '../run.js';
import { SHELLS, type Shell } from '../completion-shells.js';

/** `win-k8s completion bash|zsh|fish|powershell`, as kubectl, gh and eksctl have it. */
export function register(program: Command, run: RunCommand): Command {
  return program
    .command('completion')
    .description(`print a shell completion script (${SHELLS.join(', ')})`)
    // commander refuses another shell with exit 2, naming the argument and the shells it knows.
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
    .addHelpText(
      'after',
      `
Examples:
  source <(win-k8s completion bash)                        # bash, this shell
  win-k8s completion zsh > "\${fpath[1]}/_win-k8s"           # zsh, every shell
  win-k8s completion fish > ~/.config/fish/completions/win-k8s.fish
  win-k8s completion powershell | Out-String | Invoke-Expression`,
    )
    .action(async (shell: Shell, _opts: unknown, cmd: Command) =>
      run(cmd, async () => async (ctx) => {
        const { completionModel, completionScript } = await import('../completion.js');
        ctx.output.result(completionScript(shell, completionModel(program)), (s) => s);
      }),
    );
}
