import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { JOIN_SPECS } from '../../src/cli/commands/join.js';
import { COMMANDS } from '../../src/cli/main.js';
import { OPTION_GROUPS, globalOptions, longFlag } from '../../src/config/options.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
/** The help text, with commander's wrapped descriptions joined back onto their option's line. */
const help = (args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\n {6,}(?=\S)/g, ' ');
};
const optionLine = (text: string, flag: string) => text.split('\n').filter((l) => new RegExp(`^ {2}(-[a-z], )?${flag}\\b`).test(l));

describe('help', () => {
  const join = help(['join']);

  it('join --help lists its flags under the groups, in order, each flag exactly once', () => {
    const headings = join.split('\n').filter((l) => /^[A-Z][A-Za-z ]+:$/.test(l));
    const { cluster, pool, cloud, network, security, output } = OPTION_GROUPS;
    assert.deepEqual(headings, [cluster, pool, cloud, network, security, output, 'Options:', 'Examples:']);
    for (const spec of JOIN_SPECS) assert.equal(optionLine(join, longFlag(spec)).length, 1, `${longFlag(spec)} in join --help`);
    const listed = join.split('\n').filter((l) => /^ {2}(-[a-z], )?--[a-z]/.test(l)).length;
    assert.equal(listed, JOIN_SPECS.length + 1, 'the specs and -h, nothing else');
    // Each group holds what it says: the endpoint under Cluster, the subnet under Network.
    const section = (heading: string) => join.split(`\n${heading}\n`)[1]!.split('\n\n')[0]!;
    assert.match(section(OPTION_GROUPS.cluster), /--api-server/);
    assert.match(section(OPTION_GROUPS.network), /--subnet-id/);
    assert.match(section(OPTION_GROUPS.security), /--allow-rdp-from/);
    assert.match(section(OPTION_GROUPS.cloud), /--region/);
  });

  it('diagnose, render, init, remove, list and plan list every flag under a group, in the groups\' order; Options: keeps -h alone', () => {
    const order = Object.values(OPTION_GROUPS) as string[];
    const sections = (text: string) => {
      const out = new Map<string, string[]>();
      let heading = '';
      for (const line of text.split('\n')) {
        if (/^[A-Z][A-Za-z ]+:$/.test(line)) heading = line;
        else if (heading && /^ {2}(-[a-z], )?--[a-z]/.test(line)) out.set(heading, [...(out.get(heading) ?? []), /--[a-z-]+/.exec(line)![0]]);
      }
      return out;
    };
    const expected: Record<string, Record<string, string[]>> = {
      remove: {
        [OPTION_GROUPS.cluster]: ['--keep-cluster-objects'],
        [OPTION_GROUPS.nodes]: ['--pool'],
        [OPTION_GROUPS.drain]: ['--force', '--drain-timeout'],
        [OPTION_GROUPS.output]: ['--dry-run'],
      },
      diagnose: {
        [OPTION_GROUPS.nodes]: ['--node', '--pool'],
        [OPTION_GROUPS.checks]: ['--checks', '--wait', '--fail-on', '--skip-probes', '--probe-timeout', '--external-target', '--skip-node-checks'],
        [OPTION_GROUPS.output]: ['--junit-file', '--bundle'],
      },
      render: { [OPTION_GROUPS.output]: ['--compress', '--output-file'] },
      init: { [OPTION_GROUPS.cluster]: ['--api-server'], [OPTION_GROUPS.output]: ['--file', '--force', '--defaults'] },
      list: { [OPTION_GROUPS.nodes]: ['--pool'] },
      plan: { [OPTION_GROUPS.cluster]: ['--api-server', '--ca-cert-hash'] },
    };
    for (const [name, groups] of Object.entries(expected)) {
      const found = sections(help([name]));
      assert.deepEqual(found.get('Options:'), ['--help'], `${name}: only -h is ungrouped`);
      const headings = [...found.keys()].filter((h) => h !== 'Options:');
      assert.deepEqual(headings, [...headings].sort((a, b) => order.indexOf(a) - order.indexOf(b)), `${name}: groups in order`);
      assert.ok(headings.length >= 2, `${name} has at least two groups`);
      for (const [heading, flags] of Object.entries(groups)) {
        for (const flag of flags) assert.ok(found.get(heading)?.includes(flag), `${name}: ${flag} under ${heading}, got ${JSON.stringify(Object.fromEntries(found))}`);
      }
    }
    assert.match(optionLine(help(['remove']), '--keep-cluster-objects')[0]!, /last win-k8s pool .*RuntimeClasses, ClusterRoleBindings/);
  });

  it('join --help has examples', () => {
    assert.match(join, /\nExamples:\n {2}win-k8s join --pool win --count 2 --dry-run/);
  });

  it('every command\'s help points at the global flags', () => {
    const program = help([]);
    const tree = new Command('win-k8s');
    for (const command of COMMANDS) command.register(tree, () => Promise.resolve());
    assert.ok(tree.commands.length > 10);
    for (const name of tree.commands.map((c) => c.name())) {
      const text = help([name]);
      const line = text.split('\n').find((l) => l.startsWith('Global flags: '));
      assert.ok(line, `${name} --help has no global flags line`);
      for (const spec of Object.values(globalOptions)) {
        assert.ok(line.includes(longFlag(spec)), `${name}: ${longFlag(spec)} missing from "${line}"`);
        assert.equal(optionLine(program, longFlag(spec)).length, 1, `win-k8s --help lists ${longFlag(spec)}`);
      }
      assert.match(line, /\(see win-k8s --help\)$/);
    }
  });

  it('list and remove: --cloud is where the VMs are; provision has no join-only flags and waits for Provisioned', () => {
    for (const name of ['list', 'remove']) {
      const [cloud] = optionLine(help([name]), '--cloud');
      assert.match(cloud!, /cloud the pool's VMs are in/);
      assert.doesNotMatch(cloud!, /create/);
    }
    const provision = help(['provision']);
    assert.equal(optionLine(provision, '--taint-windows').length, 0);
    assert.equal(optionLine(provision, '--token-ttl').length, 0);
    const [timeout] = optionLine(provision, '--timeout');
    assert.match(timeout!, /Provisioned/);
    assert.doesNotMatch(timeout!, /Ready/);
    assert.match(optionLine(join, '--timeout')[0]!, /Ready/);
  });

  it('defaults and choices are shown one way: (one of: a, b; default: x)', () => {
    for (const args of [[], ['join'], ['diagnose'], ['render'], ['remove'], ['list']]) {
      const text = help(args);
      assert.doesNotMatch(text, /\(choices:/, 'commander\'s quoted choices');
      for (const line of text.split('\n').filter((l) => /^ {2}-/.test(l))) {
        assert.ok((line.match(/default:/g) ?? []).length <= 1, line);
        assert.doesNotMatch(line, /\) \(/, `two parentheticals: ${line}`);
        if (/default:/.test(line)) assert.match(line, /(\(|; )default: .*\)$/, line);
      }
    }
    assert.match(optionLine(join, '--cloud')[0]!, /\(one of: aws, azure, gcp; default: where the control plane runs\)$/);
    assert.match(optionLine(join, '--count')[0]!, /\(default: 1\)$/);
  });
});
