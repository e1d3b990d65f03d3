import assert from 'node:assert/strict';
import { Command } from 'commander';
import * as options from '../../src/config/options.js';
import { COMMAND_LINE_ONLY, envName, longFlag, type OptionSpec } from '../../src/config/options.js';
import { COMMANDS } from '../../src/cli/main.js';

/** Every spec the project defines, by long flag (a flag may appear in several groups, with one meaning). */
function allSpecs(): Map<string, OptionSpec[]> {
  const out = new Map<string, OptionSpec[]>();
  for (const group of Object.values(options)) {
    if (!group || typeof group !== 'object' || Array.isArray(group)) continue;
    for (const spec of Object.values(group as Record<string, unknown>)) {
      if (!spec || typeof spec !== 'object' || !('flags' in spec)) continue;
      const s = spec as OptionSpec;
      out.set(longFlag(s), [...(out.get(longFlag(s)) ?? []), s]);
    }
  }
  return out;
}

/**
 * The README promises that every option reads WIN_K8S_<NAME> too. An option declared on
 * commander alone, with no spec and path, is read only from the command line: this walks
 * every command's options and holds the promise, naming the exceptions on purpose.
 */
describe('every option of every command also reads WIN_K8S_<NAME>', () => {
  const program = new Command('win-k8s');
  for (const command of COMMANDS) command.register(program, () => Promise.resolve());
  const specs = allSpecs();

  it('walks all the commands and their options', () => {
    assert.deepEqual(program.commands.map((c) => c.name()).sort(), ['completion', 'diagnose', 'init', 'join', 'list', 'plan', 'provision', 'remove', 'render', 'schema', 'version']);
    assert.ok(program.commands.flatMap((c) => c.options).length > 60);
  });

  it('each option is a spec with a config path (so mergeSources reads its variable), or a named exception', () => {
    const missing: string[] = [];
    for (const cmd of program.commands) {
      for (const opt of cmd.options) {
        const flag = opt.long ?? '';
        const label = `${cmd.name()} ${flag}`;
        if (COMMAND_LINE_ONLY.includes(label)) continue;
        const found = specs.get(flag)?.some((s) => s.path !== undefined || ['--config', '--yes', '--no-color', '--verbose', '--output'].includes(flag));
        if (!found) missing.push(label);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('variable names follow the flag, and two flags never share a variable with different meanings', () => {
    const byVariable = new Map<string, Set<string>>();
    for (const [, list] of specs) for (const s of list) byVariable.set(envName(s), new Set([...(byVariable.get(envName(s)) ?? []), s.path ?? '(global)']));
    assert.equal(envName({ flags: '--fail-on <level>', description: '', kind: 'string' }), 'WIN_K8S_FAIL_ON');
    const clashes = [...byVariable].filter(([, paths]) => paths.size > 1).map(([v, paths]) => `${v}: ${[...paths].sort().join(' vs ')}`);
    // --pool is the pool's name for join and the pool filter for list and diagnose: the same pool.
    assert.deepEqual(clashes, ['WIN_K8S_POOL: command.pool vs pool.name']);
  });
});
