import type { z } from 'zod';
import { UsageErrors } from '../errors.js';
import { envName, longFlag, optionKey, type OptionSpec } from './options.js';
import type { LoadedFile } from './load.js';

/** Where a value came from, so an error can name the flag, the variable or the file field. */
export type ValueSource = { kind: 'flag'; name: string } | { kind: 'env'; name: string } | { kind: 'file'; file: string };

export interface CliValues {
  /** commander's value for the option key, and whether the user typed it. */
  get(key: string): { value: unknown; fromCli: boolean };
}

export interface MergeInput {
  specs: readonly OptionSpec[];
  cli: CliValues;
  env: Record<string, string | undefined>;
  file: LoadedFile | undefined;
}

export interface Merged {
  raw: Record<string, unknown>;
  sources: Map<string, ValueSource>;
}

/**
 * Merges the config file, WIN_K8S_* variables and flags onto one raw object, in that order of
 * increasing precedence, and remembers where each path's value came from.
 */
export function mergeSources({ specs, cli, env, file }: MergeInput): Merged {
  const raw: Record<string, unknown> = structuredClone(file?.data ?? {});
  const sources = new Map<string, ValueSource>();
  const problems: string[] = [];
  if (file) recordFileSources(raw, '', file.path, sources);

  for (const spec of specs) {
    if (!spec.path) continue;
    const variable = envName(spec);
    const fromEnv = env[variable];
    const { value: cliValue, fromCli } = cli.get(optionKey(spec));
    let value: unknown;
    let source: ValueSource | undefined;
    try {
      if (fromCli && cliValue !== undefined) {
        source = { kind: 'flag', name: longFlag(spec) };
        value = convert(spec, cliValue);
      } else if (fromEnv !== undefined && fromEnv !== '') {
        source = { kind: 'env', name: variable };
        value = convert(spec, fromEnv);
      }
    } catch (err) {
      problems.push(`${source ? describeSource(source, spec.path) : longFlag(spec)}: ${(err as Error).message}`);
      continue;
    }
    if (source === undefined) continue;
    setPath(raw, spec.path, value);
    for (const key of [...sources.keys()]) if (key === spec.path || key.startsWith(`${spec.path}.`)) sources.delete(key);
    sources.set(spec.path, source);
  }
  if (problems.length > 0) throw new UsageErrors(problems);
  return { raw, sources };
}

function recordFileSources(value: unknown, prefix: string, file: string, sources: Map<string, ValueSource>): void {
  if (prefix) sources.set(prefix, { kind: 'file', file });
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) recordFileSources(v, prefix ? `${prefix}.${k}` : k, file, sources);
  }
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function convert(spec: OptionSpec, value: unknown): unknown {
  if (spec.kind === 'boolean') {
    if (typeof value === 'boolean') return value;
    const v = String(value).toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    throw new Error(`expected true or false, got "${String(value)}"`);
  }
  const text = Array.isArray(value) ? value.join(',') : String(value);
  if (spec.choices && !spec.choices.includes(text)) throw new Error(`expected one of ${spec.choices.join(', ')}, got "${text}"`);
  switch (spec.kind) {
    case 'string':
      return text;
    case 'int':
      if (!/^-?\d+$/.test(text.trim())) throw new Error(`expected an integer, got "${text}"`);
      return Number(text.trim());
    case 'list':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'map': {
      const out: Record<string, string> = {};
      for (const pair of text.split(',').map((s) => s.trim()).filter(Boolean)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`expected key=value pairs separated by commas, got "${pair}"`);
        out[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      return out;
    }
  }
}

export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!next || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

export function describeSource(source: ValueSource, path: string): string {
  switch (source.kind) {
    case 'flag':
      return source.name;
    case 'env':
      return source.name;
    case 'file':
      return `${path} (in ${source.file})`;
  }
}

/**
 * Validates `raw` with a zod schema; every issue is reported against the flag, variable or file
 * field that supplied the value (`--node-name: ...`, `pool.count (in win-k8s.yaml): ...`).
 */
export function validate<S extends z.ZodType>(schema: S, raw: unknown, merged: Merged, basePath = ''): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = [basePath, ...issue.path.map(String)].filter(Boolean).join('.');
    let label = path || '(config)';
    const keys = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [];
    for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
      const source = merged.sources.get(p);
      if (source) {
        label = source.kind === 'file' ? `${path} (in ${source.file})` : source.name;
        break;
      }
    }
    if (keys.length > 0) {
      // Only a file can hold a key no flag or variable maps to: say which file, or the user
      // hunts through every config they have.
      const fileOf = keys.map((k) => merged.sources.get(path ? `${path}.${k}` : k)).find((src) => src?.kind === 'file');
      const where = fileOf?.kind === 'file' ? ` (in ${fileOf.file})` : '';
      return `${path ? `${path}.` : ''}${keys.join(', ')}${where}: unknown field${keys.length > 1 ? 's' : ''}`;
    }
    return `${label}: ${issue.message}`;
  });
  throw new UsageErrors(problems, 'run `win-k8s schema` for the shape of win-k8s.yaml, or `win-k8s <command> --help` for flags');
}

export interface CommandValues<K extends string> {
  /** The value from the flag, else its WIN_K8S_* variable; undefined when neither is set. */
  value(key: K): unknown;
  /** What to name in an error about it: the flag or the variable it came from. */
  field(key: K): string;
}

/**
 * A command's per-run options (`command.*` paths): flags and WIN_K8S_* variables through the
 * same merge as everything else, so `WIN_K8S_FAIL_ON=warn` means `--fail-on warn`. They are
 * not win-k8s.yaml fields, so the file is not read for them.
 */
export function commandValues<K extends string>(src: { cli: CliValues; env: Record<string, string | undefined> }, specs: Record<K, OptionSpec>): CommandValues<K> {
  const merged = mergeSources({ specs: Object.values(specs), cli: src.cli, env: src.env, file: undefined });
  const path = (key: K) => specs[key].path ?? '';
  return {
    value: (key) => {
      let node: unknown = merged.raw;
      for (const part of path(key).split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
      return node;
    },
    field: (key) => {
      const source = merged.sources.get(path(key));
      return source ? describeSource(source, path(key)) : longFlag(specs[key]);
    },
  };
}
