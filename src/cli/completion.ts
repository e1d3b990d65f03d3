import type { Command, Option } from 'commander';
import type { Shell } from './completion-shells.js';

/**
 * Shell completion scripts, generated from the commander tree the CLI runs with, so a new
 * flag, command or choice is completed the day it is added and a removed one never lingers.
 * The scripts hold the tree as data and need no call back into win-k8s (tab stays instant).
 */


/** How a flag's value is completed: none (a switch), a file path, free text, or fixed choices. */
export type FlagValue = { kind: 'none' } | { kind: 'file' } | { kind: 'text' } | { kind: 'choices'; choices: readonly string[] };

export interface CompletionFlag {
  long: string;
  short?: string;
  description: string;
  value: FlagValue;
}

export interface CompletionCommand {
  name: string;
  description: string;
  flags: CompletionFlag[];
  /** Choices of the first positional argument (e.g. `completion <shell>`), or the command names for `help`. */
  args?: readonly string[];
}

export interface CompletionModel {
  name: string;
  globalFlags: CompletionFlag[];
  commands: CompletionCommand[];
}

// Placeholders that name a file or directory: completed with paths, everything else is free text.
const PATH_PLACEHOLDER = /<(file|path|[a-z.]*\.(tar\.gz|ya?ml))>/i;

function flagOf(option: Option): CompletionFlag {
  const takesValue = option.required || option.optional;
  const value: FlagValue = !takesValue
    ? { kind: 'none' }
    : option.argChoices
      ? { kind: 'choices', choices: option.argChoices }
      : PATH_PLACEHOLDER.test(option.flags)
        ? { kind: 'file' }
        : { kind: 'text' };
  return { long: option.long ?? option.short ?? option.flags, ...(option.short && option.long ? { short: option.short } : {}), description: oneLine(option.description), value };
}

const HELP_FLAG: CompletionFlag = { long: '--help', short: '-h', description: 'show help', value: { kind: 'none' } };

/** The tree as data: what every script below is generated from. */
export function completionModel(program: Command): CompletionModel {
  const visible = (options: readonly Option[]) => options.filter((o) => !o.hidden).map(flagOf);
  const commands: CompletionCommand[] = program.commands.map((cmd) => {
    const first = cmd.registeredArguments[0];
    return {
      name: cmd.name(),
      description: oneLine(cmd.description()),
      flags: [...visible(cmd.options), HELP_FLAG],
      ...(first?.argChoices ? { args: first.argChoices } : {}),
    };
  });
  commands.push({ name: 'help', description: 'show help for a command', flags: [], args: commands.map((c) => c.name) });
  return { name: program.name(), globalFlags: visible(program.options).concat(HELP_FLAG), commands };
}

export function completionScript(shell: Shell, model: CompletionModel): string {
  switch (shell) {
    case 'bash':
      return bashScript(model);
    case 'zsh':
      return zshScript(model);
    case 'fish':
      return fishScript(model);
    case 'powershell':
      return powershellScript(model);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `win-k8s` -> `_win_k8s`: the function name a shell identifier allows. */
export function functionName(model: CompletionModel): string {
  return `_${model.name.replace(/[^A-Za-z0-9]/g, '_')}`;
}

const names = (flag: CompletionFlag) => (flag.short ? [flag.long, flag.short] : [flag.long]);

/** Single-quoted for POSIX shells (and fish): nothing inside expands. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bashValueCode(value: FlagValue): string | undefined {
  switch (value.kind) {
    case 'none':
      return undefined;
    case 'file':
      return 'F';
    case 'text':
      return 'T';
    case 'choices':
      return `C ${value.choices.join(' ')}`;
  }
}

function bashScript(model: CompletionModel): string {
  const fn = functionName(model);
  const globalWords = model.globalFlags.flatMap(names).join(' ');
  const flagCases = model.commands.map((c) => `    ${sq(c.name)}) echo ${sq(c.flags.flatMap(names).join(' '))} ;;`).join('\n');
  const valueCases: string[] = [];
  for (const c of model.commands) {
    for (const f of c.flags) {
      const code = bashValueCode(f.value);
      if (code) valueCases.push(`    ${names(f).map((n) => `${sq(c.name)}' '${sq(n)}`).join('|')}) echo ${sq(code)} ;;`);
    }
  }
  for (const f of model.globalFlags) {
    const code = bashValueCode(f.value);
    if (code) valueCases.push(`    ${names(f).map((n) => `*' '${sq(n)}`).join('|')}) echo ${sq(code)} ;;`);
  }
  const argCases = model.commands.filter((c) => c.args).map((c) => `    ${sq(c.name)}) echo ${sq(c.args!.join(' '))} ;;`).join('\n');
  return `# bash completion for ${model.name}, generated from its commands by \`${model.name} completion bash\`.
# Load it in this shell:   source <(${model.name} completion bash)
# or for every shell:      ${model.name} completion bash > ~/.local/share/bash-completion/completions/${model.name}

# The flags of a command (besides the global ones).
${fn}_flags() {
  case "$1" in
${flagCases}
  esac
}

# How the value of flag $2 of command $1 is completed: C <choices>, F (a path), T (free text);
# nothing for a switch.
${fn}_value() {
  case "$1 $2" in
${valueCases.join('\n')}
  esac
}

# The choices of a command's first argument.
${fn}_args() {
  case "$1" in
${argCases}
  esac
}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" i w kind flag=""
  COMPREPLY=()
  # The command is the first word that is neither a flag nor a flag's value.
  for (( i = 1; i < COMP_CWORD; i++ )); do
    w="\${COMP_WORDS[i]}"
    if [[ $w == -* ]]; then
      [[ $w == *=* ]] && continue
      kind="$(${fn}_value "$cmd" "$w")"
      if [[ -n $kind ]]; then
        (( i++ ))
        # bash splits --flag=value into --flag, =, value.
        [[ \${COMP_WORDS[i]} == "=" ]] && (( i++ ))
      fi
    elif [[ -z $cmd ]]; then
      cmd="$w"
    fi
  done
  if (( COMP_CWORD >= 1 )); then
    flag="\${COMP_WORDS[COMP_CWORD-1]}"
    if [[ $flag == "=" ]] && (( COMP_CWORD >= 2 )); then flag="\${COMP_WORDS[COMP_CWORD-2]}"; fi
    [[ $cur == "=" ]] && cur=""
  fi
  if [[ $flag == -* ]]; then
    kind="$(${fn}_value "$cmd" "$flag")"
    case "$kind" in
      C\\ *) COMPREPLY=( $(compgen -W "\${kind#C }" -- "$cur") ); return 0 ;;
      F) COMPREPLY=( $(compgen -f -- "$cur") ); compopt -o filenames 2>/dev/null; return 0 ;;
      T) return 0 ;;
    esac
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=( $(compgen -W "$(${fn}_flags "$cmd") ${globalWords}" -- "$cur") )
  elif [[ -z $cmd ]]; then
    COMPREPLY=( $(compgen -W ${sq(model.commands.map((c) => c.name).join(' '))} -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$(${fn}_args "$cmd")" -- "$cur") )
  fi
  return 0
}

complete -F ${fn} ${model.name}
`;
}

/** Text inside a zsh _arguments spec or _describe entry: brackets and colons are syntax there. */
const zshText = (s: string) => s.replace(/\\/g, '\\\\').replace(/([[\]:])/g, '\\$1');

function zshSpec(flag: CompletionFlag): string {
  const description = `[${zshText(flag.description)}]`;
  const action =
    flag.value.kind === 'none' ? '' : flag.value.kind === 'file' ? ':file:_files' : flag.value.kind === 'text' ? ':value: ' : `:value:(${flag.value.choices.join(' ')})`;
  if (flag.short) return sq(`(${flag.short} ${flag.long})`) + `{${flag.short},${flag.long}}` + sq(`${description}${action}`);
  return sq(`${flag.long}${description}${action}`);
}

function zshScript(model: CompletionModel): string {
  const fn = functionName(model);
  const globals = model.globalFlags.map((f) => `    ${zshSpec(f)}`).join(' \\\n');
  const commandList = model.commands.map((c) => `    ${sq(`${zshText(c.name)}:${c.description.replace(/\\/g, '\\\\')}`)}`).join('\n');
  const perCommand = model.commands
    .map((c) => {
      const specs = [...c.flags.map(zshSpec), ...(c.args ? [sq(`1:argument:(${c.args.join(' ')})`)] : [])];
      return `        ${sq(c.name)})\n          _arguments \\\n            ${[...specs, '"${global_specs[@]}"'].join(' \\\n            ')}\n          ;;`;
    })
    .join('\n');
  return `#compdef ${model.name}
# zsh completion for ${model.name}, generated from its commands by \`${model.name} completion zsh\`.
# Load it in this shell:   source <(${model.name} completion zsh)
# or for every shell:      ${model.name} completion zsh > "\${fpath[1]}/_${model.name}"

${fn}() {
  local curcontext="$curcontext" state line ret=1
  local -a commands global_specs
  commands=(
${commandList}
  )
  global_specs=(
${globals}
  )
  _arguments -C "\${global_specs[@]}" '1: :->command' '*:: :->args' && ret=0
  case $state in
    command)
      _describe -t commands 'command' commands && ret=0
      ;;
    args)
      case $words[1] in
${perCommand}
      esac
      ret=0
      ;;
  esac
  return ret
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${model.name}
fi
`;
}

function fishFlag(flag: CompletionFlag, condition: string): string {
  const words = ['complete', '-c', '%NAME%'];
  if (condition) words.push('-n', sq(condition));
  const long = flag.long.replace(/^--/, '');
  words.push('-l', sq(long));
  if (flag.short) words.push('-s', sq(flag.short.replace(/^-/, '')));
  if (flag.value.kind === 'choices') words.push('-x', '-a', sq(flag.value.choices.join(' ')));
  else if (flag.value.kind === 'file') words.push('-r', '-F');
  else if (flag.value.kind === 'text') words.push('-x');
  words.push('-d', sq(flag.description));
  return words.join(' ');
}

function fishScript(model: CompletionModel): string {
  const commandNames = model.commands.map((c) => c.name).join(' ');
  const lines: string[] = [];
  lines.push(`complete -c %NAME% -f`);
  for (const c of model.commands) lines.push(`complete -c %NAME% -n ${sq(`not __fish_seen_subcommand_from ${commandNames}`)} -a ${sq(c.name)} -d ${sq(c.description)}`);
  for (const f of model.globalFlags) lines.push(fishFlag(f, ''));
  for (const c of model.commands) {
    const seen = `__fish_seen_subcommand_from ${c.name}`;
    for (const f of c.flags) if (f.long !== '--help') lines.push(fishFlag(f, seen));
    if (c.args) lines.push(`complete -c %NAME% -n ${sq(seen)} -a ${sq(c.args.join(' '))}`);
  }
  return `# fish completion for ${model.name}, generated from its commands by \`${model.name} completion fish\`.
# Load it in this shell:   ${model.name} completion fish | source
# or for every shell:      ${model.name} completion fish > ~/.config/fish/completions/${model.name}.fish

${lines.map((l) => l.replace(/%NAME%/g, model.name)).join('\n')}
`;
}

/** Single-quoted PowerShell string: only ' is special, doubled. */
const psq = (s: string) => `'${s.replace(/['‘’‚‛]/g, (q) => q + q)}'`;

function psValue(value: FlagValue): string {
  switch (value.kind) {
    case 'none':
      return psq('');
    case 'file':
      return psq('file');
    case 'text':
      return psq('text');
    case 'choices':
      return `@(${value.choices.map(psq).join(', ')})`;
  }
}

function psFlags(flags: CompletionFlag[]): string {
  const entries = flags.flatMap((f) => names(f).map((n) => `${psq(n)} = @{ d = ${psq(f.description || n)}; v = ${psValue(f.value)} }`));
  return `[ordered]@{ ${entries.join('; ')} }`;
}

function powershellScript(model: CompletionModel): string {
  const commands = model.commands
    .map((c) => `    ${psq(c.name)} = @{ d = ${psq(c.description || c.name)}; flags = ${psFlags(c.flags)}; args = @(${(c.args ?? []).map(psq).join(', ')}) }`)
    .join('\n');
  return `# PowerShell completion for ${model.name}, generated from its commands by \`${model.name} completion powershell\`.
# Load it in this session:  ${model.name} completion powershell | Out-String | Invoke-Expression
# or for every session, add that line to $PROFILE.

Register-ArgumentCompleter -Native -CommandName ${psq(model.name)} -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $globalFlags = ${psFlags(model.globalFlags)}
  $commands = [ordered]@{
${commands}
  }
  $words = @($commandAst.CommandElements | Where-Object { $_.Extent.EndOffset -le $cursorPosition } | ForEach-Object { $_.Extent.Text })
  if ($wordToComplete -ne '' -and $words.Count -gt 0) { $words = @($words | Select-Object -First ($words.Count - 1)) }
  $valueOf = {
    param($cmd, $flag)
    if ($cmd -and $commands.Contains($cmd) -and $commands[$cmd].flags.Contains($flag)) { return ,$commands[$cmd].flags[$flag].v }
    if ($globalFlags.Contains($flag)) { return ,$globalFlags[$flag].v }
    return ,''
  }
  # The command is the first word that is neither a flag nor a flag's value.
  $cmd = $null
  $pending = $null
  for ($i = 1; $i -lt $words.Count; $i++) {
    $w = $words[$i]
    $pending = $null
    if ($w.StartsWith('-')) {
      $v = & $valueOf $cmd $w
      if ($v -is [array] -or $v -ne '') {
        if ($i + 1 -lt $words.Count) { $i++ } else { $pending = $v }
      }
    } elseif (-not $cmd) {
      $cmd = $w
    }
  }
  $result = {
    param($text, $kind, $tip)
    [System.Management.Automation.CompletionResult]::new($text, $text, $kind, $(if ($tip) { $tip } else { $text }))
  }
  if ($null -ne $pending) {
    if ($pending -is [array]) {
      $pending | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $result $_ 'ParameterValue' $_ }
    }
    return
  }
  if ($wordToComplete.StartsWith('-')) {
    $flags = [ordered]@{}
    if ($cmd -and $commands.Contains($cmd)) { foreach ($k in $commands[$cmd].flags.Keys) { $flags[$k] = $commands[$cmd].flags[$k] } }
    foreach ($k in $globalFlags.Keys) { if (-not $flags.Contains($k)) { $flags[$k] = $globalFlags[$k] } }
    $flags.Keys | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $result $_ 'ParameterName' $flags[$_].d }
    return
  }
  if (-not $cmd) {
    $commands.Keys | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $result $_ 'Command' $commands[$_].d }
    return
  }
  if ($commands.Contains($cmd)) {
    $commands[$cmd].args | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object { & $result $_ 'ParameterValue' $_ }
  }
}
`;
}
