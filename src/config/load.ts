import { existsSync, readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { UsageError } from '../errors.js';

export interface LoadedFile {
  path: string;
  /** Parsed but not yet validated: validation happens after flags and env are merged in. */
  data: Record<string, unknown>;
}

export const DEFAULT_CONFIG_FILE = 'win-k8s.yaml';

/**
 * Loads win-k8s.yaml: the explicit --config file (which must exist), else ./win-k8s.yaml when
 * present, else nothing.
 */
export async function loadConfigFile(explicit: string | undefined, cwd: string, field: string): Promise<LoadedFile | undefined> {
  const path = resolvePath(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  if (!explicit && !existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `config file ${path} does not exist` : `cannot read config file ${path}: ${code ?? String(err)}`, { field });
  }
  // The bundle holds yaml's CommonJS build: imported lazily from a split chunk it has only a
  // default export (in-process tests see named exports too, which is why they never caught it).
  const yaml = await import('yaml');
  const { parseDocument } = yaml.default ?? yaml;
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos?.[0] ? `line ${first.linePos[0].line}, column ${first.linePos[0].col}` : 'unknown position';
    throw new UsageError(`${path}: invalid YAML at ${where}: ${first.message.split('\n')[0]}`, { hint: 'run `win-k8s schema` for the expected shape' });
  }
  const data = doc.toJS() as unknown;
  if (data === null || data === undefined) return { path, data: {} };
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`${path}: expected a mapping at the top level`, { hint: 'run `win-k8s schema` for the expected shape' });
  }
  return { path, data: data as Record<string, unknown> };
}
