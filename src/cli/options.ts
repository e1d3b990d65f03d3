import { Option, type Command } from 'commander';
import type { OptionSpec } from '../config/options.js';

/** Adds option specs to a commander command; values are validated later, by the config schema. */
export function addOptions(cmd: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    const description = spec.defaultText ? `${spec.description} (default: ${spec.defaultText})` : spec.description;
    const option = new Option(spec.flags, description);
    if (spec.choices) option.choices(spec.choices);
    if (spec.kind === 'list' || spec.kind === 'map') {
      // Repeating the flag adds to the list: --node-labels a=b --node-labels c=d.
      option.argParser((value: string, previous: unknown) => (typeof previous === 'string' ? `${previous},${value}` : value));
    }
    cmd.addOption(option);
  }
  return cmd;
}
