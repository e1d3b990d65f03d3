import { toJSONSchema } from 'zod';
import { ConfigFile } from './schema.js';
import * as options from './options.js';
import type { OptionSpec } from './options.js';

/**
 * The JSON Schema of win-k8s.yaml, for editors (completion, hover text, checks while typing) and
 * CI. zod knows the shapes; the words come from the option specs, so a field's hover text is
 * its flag's help text, plus a few fields that have no flag. Rules zod can only express as code
 * (refinements) are given here as patterns when a pattern can say the same.
 */

export const SCHEMA_ID = 'https://win-k8s.io/schema/v1alpha1/win-k8s.schema.json';
/** The name `init` gives the schema it writes beside the config. */
export const SCHEMA_FILE_NAME = 'win-k8s.schema.json';

/** checkPoolName's rule as a pattern (its tests hold the two equal): a DNS label of at most 9 characters. */
export const POOL_NAME_PATTERN = '^[a-z]([-a-z0-9]{0,7}[a-z0-9])?$';

/** Fields without an option spec (objects, and values only the file sets). */
const EXTRA_DESCRIPTIONS: Record<string, string> = {
  '': 'Configuration of win-k8s: the cluster to join and the Windows node pool to create.',
  apiVersion: 'version of this file\'s format',
  kind: 'kind of this document',
  cluster: 'the cluster the Windows nodes join',
  'cluster.name': 'a name for the cluster in messages and resource tags (default: from the kubeconfig context)',
  pool: 'the Windows node pool',
  proxy: 'proxy the nodes use for downloads, the container runtime and the kubelet',
  aws: 'settings used when cloud is aws',
  azure: 'settings used when cloud is azure',
  gcp: 'settings used when cloud is gcp',
};

/** Option specs that live in win-k8s.yaml, by config path (per-run `command.*`/`render.*` values are not in the file). */
export function fileOptionSpecs(): Map<string, OptionSpec> {
  const out = new Map<string, OptionSpec>();
  for (const group of Object.values(options)) {
    if (!group || typeof group !== 'object' || Array.isArray(group)) continue;
    for (const spec of Object.values(group as Record<string, unknown>)) {
      if (!spec || typeof spec !== 'object' || !('flags' in spec)) continue;
      const s = spec as OptionSpec;
      if (!s.path || s.path.startsWith('command.') || s.path.startsWith('render.')) continue;
      if (!out.has(s.path)) out.set(s.path, s);
    }
  }
  return out;
}

/** The description of a config path: its flag's help text (naming the flag), else the table above. */
export function fieldDescription(path: string): string | undefined {
  const spec = fileOptionSpecs().get(path);
  if (spec) {
    const flag = /--[a-z0-9-]+/.exec(spec.flags)?.[0];
    const choices = spec.choices ? ` (one of ${spec.choices.join(', ')})` : '';
    const dflt = spec.defaultText && !/default/.test(spec.description) ? ` (default: ${spec.defaultText})` : '';
    return `${spec.description}${choices}${dflt}${flag ? `; flag ${flag}` : ''}`;
  }
  return EXTRA_DESCRIPTIONS[path];
}

type Node = Record<string, unknown> & { properties?: Record<string, Node>; description?: string };

export function jsonSchema(): Record<string, unknown> {
  // Draft 7: the newest draft yaml-language-server (VS Code's YAML extension) documents; the
  // keywords used here mean the same in 2020-12.
  const schema = toJSONSchema(ConfigFile, { io: 'input', target: 'draft-7' }) as Node;
  const visit = (node: Node, path: string) => {
    const description = fieldDescription(path);
    if (description) node.description = description;
    for (const [key, child] of Object.entries(node.properties ?? {})) visit(child, path ? `${path}.${key}` : key);
  };
  visit(schema, '');
  const pool = schema.properties?.pool?.properties;
  if (pool?.name) Object.assign(pool.name, { pattern: POOL_NAME_PATTERN, minLength: 1, maxLength: 9 });
  // YAML reads an unquoted 2022 as a number, which the CLI accepts: so does the schema.
  const windows = pool?.windowsVersion as { enum?: string[] } | undefined;
  if (windows?.enum) windows.enum = [...windows.enum, ...windows.enum.map(Number)] as never;
  if (windows) delete (windows as Record<string, unknown>).type;
  return { ...schema, $id: SCHEMA_ID, title: 'win-k8s.yaml' };
}
