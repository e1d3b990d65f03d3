import { Option, type Command, type Help, type HelpConfiguration } from 'commander';
import { OPTION_GROUPS, globalOptions, longFlag, type OptionSpec } from '../config/options.js';

const groupRank = (spec: OptionSpec) => (spec.group ? Object.keys(OPTION_GROUPS).indexOf(spec.group) : -1);

/**
 * Adds option specs to a commander command; values are validated later, by the config schema.
 * Options are listed under their group's heading (commander's help groups), groups in the order
 * of OPTION_GROUPS and, within a group, in the order the command gives them.
 */
export function addOptions(cmd: Command, specs: readonly OptionSpec[]): Command {
  const ordered = specs.map((spec, i) => ({ spec, i })).sort((a, b) => groupRank(a.spec) - groupRank(b.spec) || a.i - b.i);
  for (const { spec } of ordered) {
    const option = new Option(spec.flags, spec.description);
    if (spec.choices) option.choices(spec.choices);
    // Help only: the real default lives in the schema (see optionDescription below).
    if (spec.defaultText) option.defaultValueDescription = spec.defaultText;
    if (spec.group) option.helpGroup(OPTION_GROUPS[spec.group]);
    if (spec.kind === 'list' || spec.kind === 'map') {
      // Repeating the flag adds to the list: --node-labels a=b --node-labels c=d.
      option.argParser((value: string, previous: unknown) => (typeof previous === 'string' ? `${previous},${value}` : value));
    }
    cmd.addOption(option);
  }
  return cmd;
}

/**
 * Help that shows choices and defaults one way for every option: `(one of: a, b; default: x)`.
 * commander's own form would quote choices and show a default only when it sets one itself, which
 * win-k8s never does (flag, variable and file must be told apart).
 */
export const helpConfiguration: HelpConfiguration = {
  optionDescription(option: Option): string {
    const extra = [
      ...(option.argChoices ? [`one of: ${option.argChoices.join(', ')}`] : []),
      ...(option.defaultValueDescription ? [`default: ${option.defaultValueDescription}`] : []),
    ];
    return extra.length > 0 ? `${option.description} (${extra.join('; ')})` : option.description;
  },
} satisfies Partial<Help>;

/** The line every command's help ends with, so its global flags are never a secret. */
export function globalFlagsLine(program: string): string {
  const flags = Object.values(globalOptions).map((spec) => {
    const short = /^-([a-z]),/.exec(spec.flags)?.[1];
    return short ? `-${short}/${longFlag(spec)}` : longFlag(spec);
  });
  return `\nGlobal flags: ${flags.join(', ')} (see ${program} --help)`;
}
