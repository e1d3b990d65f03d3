import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { COMMANDS } from '../../src/cli/main.js';
import { pwshPath } from '../helpers/pwsh.js';
import { addOptions } from '../../src/cli/options.js';
import { globalOptions, targetOptions } from '../../src/config/options.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/win-k8s.js');
const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, timeout: 30_000 });
const script = (shell: string) => {
  const r = cli(['completion', shell]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};
const which = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;

/** The tree the CLI runs with, built here independently of the generator. */
function tree(): { commands: Map<string, string[]>; globals: string[] } {
  const program = new Command('win-k8s');
  addOptions(program, Object.values(globalOptions));
  for (const command of COMMANDS) command.register(program, () => Promise.resolve());
  return {
    commands: new Map(program.commands.map((c) => [c.name(), c.options.map((o) => o.long!)])),
    globals: program.options.map((o) => o.long!),
  };
}

describe('win-k8s completion', () => {
  const { commands, globals } = tree();
  const dir = mkdtempSync(join(tmpdir(), 'win-k8s-completion-'));

  describe('bash, run by bash', () => {
    const file = join(dir, 'win-k8s.bash');
    before(() => writeFileSync(file, script('bash')));

    /** Completes each line (the words typed so far, the last one being completed) in one bash. */
    const complete = (lines: string[]): string[][] => {
      const body = lines
        .map((l) => {
          const words = l.split(' ');
          return `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _win_k8s; echo "\${COMPREPLY[*]}"`;
        })
        .join('\n');
      const r = spawnSync('bash', ['-c', `source '${file}'\n${body}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      return r.stdout.split('\n').slice(0, lines.length).map((l) => l.split(' ').filter(Boolean));
    };

    it('completes commands, flags and the choices of flags and arguments', () => {
      const [cmds, jo, cl, cloud, output, afterGlobal, shells, helpFor, windows, file2] = complete([
        'win-k8s ',
        'win-k8s jo',
        'win-k8s join --cl',
        'win-k8s join --cloud ',
        'win-k8s plan -o j',
        'win-k8s -o json --context prod jo',
        'win-k8s completion ',
        'win-k8s help pro',
        'win-k8s join --pool win --windows-version ',
        'win-k8s list --cloud a',
      ]);
      assert.deepEqual(cmds!.sort(), [...commands.keys(), 'help'].sort());
      assert.deepEqual(jo, ['join']);
      assert.deepEqual(cl, ['--cloud', '--cluster-cidr']);
      assert.deepEqual(cloud, ['aws', 'azure', 'gcp']);
      assert.deepEqual(output, ['json']);
      assert.deepEqual(afterGlobal, ['join'], 'a global flag\'s value is not taken for the command');
      assert.deepEqual(shells, ['bash', 'zsh', 'fish', 'powershell']);
      assert.deepEqual(helpFor, ['provision']);
      assert.deepEqual(windows, [...targetOptions.windowsVersion.choices]);
      assert.deepEqual(file2, ['aws', 'azure']);
    });

    it('offers every flag of every command, and the global ones, exactly as the CLI has them', () => {
      const names = [...commands.keys()];
      const results = complete(names.map((n) => `win-k8s ${n} --`));
      names.forEach((name, i) => {
        const offered = new Set(results[i]);
        for (const flag of [...commands.get(name)!, ...globals, '--help']) assert.ok(offered.has(flag), `${name} ${flag} not offered`);
        for (const flag of offered) assert.ok([...commands.get(name)!, ...globals, '--help', '--version'].includes(flag), `${name} offers ${flag}, which it does not take`);
      });
    });

    it('a free-text value completes nothing rather than a command', () => {
      const [pool] = complete(['win-k8s join --pool ']);
      assert.deepEqual(pool, []);
    });
  });

  it('zsh: syntax checked by zsh when installed, else the structure', () => {
    const text = script('zsh');
    assert.match(text, /^#compdef win-k8s$/m);
    for (const name of commands.keys()) assert.ok(text.includes(`    '${name}')`), `zsh: no case for ${name}`);
    assert.ok(text.includes(`'(-o --output)'{-o,--output}'[output format`));
    assert.match(text, /'--cloud\[[^\]]*\]:value:\(aws azure gcp\)'/);
    if (which('zsh')) {
      const file = join(dir, '_win-k8s');
      writeFileSync(file, text);
      const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    } else {
      // Without zsh: every line's single quotes pair up (they are the only quoting used).
      for (const line of text.split('\n')) assert.equal(line.replace(/'\\''/g, '').split("'").length % 2, 1, `unbalanced quotes: ${line}`);
    }
  });

  it('fish: syntax checked by fish when installed, else the structure', () => {
    const text = script('fish');
    for (const name of commands.keys()) assert.ok(text.includes(`-a '${name}'`), `fish: no command ${name}`);
    assert.match(text, /-n '__fish_seen_subcommand_from join' -l 'cloud' -x -a 'aws azure gcp'/);
    assert.match(text, /^complete -c win-k8s -l 'output' -s 'o' -x -a 'human json/m);
    if (which('fish')) {
      const file = join(dir, 'win-k8s.fish');
      writeFileSync(file, text);
      const r = spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    } else {
      for (const line of text.split('\n').filter((l) => l.startsWith('complete'))) {
        assert.equal(line.replace(/'\\''/g, '').split("'").length % 2, 1, `unbalanced quotes: ${line}`);
      }
    }
  });

  it('PowerShell: parsed by pwsh, and TabExpansion2 returns commands, flags and choices', function () {
    // A missing pwsh fails with the command that installs it, as every PowerShell test does.
    const pwsh = pwshPath();
    this.timeout(120_000);
    const file = join(dir, 'win-k8s.ps1');
    writeFileSync(file, script('powershell'));
    // A native command named win-k8s on PATH, as after `npm install -g`.
    const fakeBin = join(dir, 'bin');
    spawnSync('mkdir', ['-p', fakeBin]);
    writeFileSync(join(fakeBin, 'win-k8s'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(fakeBin, 'win-k8s'), 0o755);
    const test = join(dir, 'test.ps1');
    writeFileSync(
      test,
      `$errors = $null
$null = [System.Management.Automation.Language.Parser]::ParseFile('${file}', [ref]$null, [ref]$errors)
"parse errors: $($errors.Count)"
. '${file}'
foreach ($line in @('win-k8s jo', 'win-k8s join --cl', 'win-k8s join --cloud ', 'win-k8s -o ', 'win-k8s completion p', 'win-k8s -o json pl')) {
  $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
  "[$line] " + (($r.CompletionMatches | ForEach-Object { $_.CompletionText }) -join ' ')
}
`,
    );
    const r = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-File', test], { encoding: 'utf8', env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH ?? ''}` }, timeout: 110_000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => l.trim());
    assert.deepEqual(lines, [
      'parse errors: 0',
      '[win-k8s jo] join',
      '[win-k8s join --cl] --cloud --cluster-cidr',
      '[win-k8s join --cloud ] aws azure gcp',
      `[win-k8s -o ] ${globalOptions.output.choices.join(' ')}`,
      '[win-k8s completion p] powershell',
      '[win-k8s -o json pl] plan',
    ]);
  });

  it('another shell is exit 2, naming the argument and the shells', () => {
    const r = cli(['completion', 'tcsh']);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish, powershell/);
  });
});
