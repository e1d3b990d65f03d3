import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';

/**
 * Kubeconfig resolution exactly as kubectl does it: --kubeconfig (one file, no merging), else
 * the KUBECONFIG list merged in order (the first file to define a name wins, and the first
 * current-context set wins), else ~/.kube/config; --context overrides current-context.
 * @kubernetes/client-node's loadFromDefault takes the *last* file's current-context, so the
 * merge is done here and the context is set explicitly.
 */
export interface KubeconfigSource {
  flag?: string | undefined;
  env: Record<string, string | undefined>;
  context?: string | undefined;
  cwd: string;
  home?: string;
}

export interface ResolvedKubeconfig {
  /** The merged kubeconfig, with every file path made absolute. */
  config: KubeconfigDoc;
  files: string[];
  contextName: string;
  clusterName: string;
  userName: string;
  server: string;
  /** How the files were found, for the "using ..." line. */
  origin: string;
}

interface NamedEntry {
  name: string;
  [key: string]: unknown;
}

export interface KubeconfigDoc {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: NamedEntry[];
  users: NamedEntry[];
  contexts: NamedEntry[];
  'current-context': string;
}

const PATH_FIELDS: Record<'cluster' | 'user', string[]> = {
  cluster: ['certificate-authority'],
  user: ['client-certificate', 'client-key', 'tokenFile'],
};

function readKubeconfigFile(path: string, field: string): Partial<KubeconfigDoc> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read kubeconfig ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { field });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new UsageError(`kubeconfig ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, { field });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object') throw new UsageError(`kubeconfig ${path} is not a kubeconfig`, { field });
  const base = dirname(path);
  const out = doc as Partial<KubeconfigDoc>;
  // Relative file references are relative to the file that names them (kubectl semantics).
  for (const kind of ['cluster', 'user'] as const) {
    for (const entry of (out[`${kind}s`] ?? []) as NamedEntry[]) {
      const body = entry[kind] as Record<string, unknown> | undefined;
      if (!body) continue;
      for (const f of PATH_FIELDS[kind]) {
        const v = body[f];
        if (typeof v === 'string' && v !== '' && !isAbsolute(v)) body[f] = resolve(base, v);
      }
    }
  }
  return out;
}

export function resolveKubeconfig(src: KubeconfigSource): ResolvedKubeconfig {
  const home = src.home ?? src.env.HOME ?? homedir();
  let files: string[];
  let origin: string;
  let field: string;
  if (src.flag) {
    files = [resolve(src.cwd, src.flag)];
    origin = '--kubeconfig';
    field = '--kubeconfig';
    if (!existsSync(files[0]!)) throw new UsageError(`${files[0]} does not exist`, { field });
  } else if (src.env.KUBECONFIG) {
    files = src.env.KUBECONFIG.split(delimiter)
      .filter((p) => p !== '')
      .map((p) => resolve(src.cwd, p))
      .filter((p) => existsSync(p));
    origin = 'KUBECONFIG';
    field = 'KUBECONFIG';
    if (files.length === 0) throw new UsageError(`none of the files in KUBECONFIG exist (${src.env.KUBECONFIG})`, { field });
  } else {
    files = [resolve(home, '.kube', 'config')];
    origin = '~/.kube/config';
    field = '--kubeconfig';
    if (!existsSync(files[0]!)) {
      throw new UsageError('no kubeconfig: ~/.kube/config does not exist and neither --kubeconfig nor KUBECONFIG is set', { field, hint: 'pass --kubeconfig <file>, or set KUBECONFIG' });
    }
  }

  const merged: KubeconfigDoc = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], 'current-context': '' };
  for (const file of files) {
    const doc = readKubeconfigFile(file, field);
    for (const kind of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of (doc[kind] ?? []) as NamedEntry[]) {
        if (entry && typeof entry.name === 'string' && !merged[kind].some((e) => e.name === entry.name)) merged[kind].push(entry);
      }
    }
    if (!merged['current-context'] && typeof doc['current-context'] === 'string') merged['current-context'] = doc['current-context'];
  }

  const contextName = src.context ?? merged['current-context'];
  if (!contextName) throw new UsageError('no current context in the kubeconfig', { field: '--context', hint: `pick one of: ${merged.contexts.map((c) => c.name).join(', ') || '(none)'}` });
  const context = merged.contexts.find((c) => c.name === contextName);
  if (!context) {
    throw new UsageError(`context "${contextName}" is not in the kubeconfig (${files.join(', ')})`, {
      field: src.context ? '--context' : 'current-context',
      hint: `contexts: ${merged.contexts.map((c) => c.name).join(', ') || '(none)'}`,
    });
  }
  const ctx = (context.context ?? {}) as { cluster?: string; user?: string };
  const cluster = merged.clusters.find((c) => c.name === ctx.cluster);
  if (!cluster) throw new UsageError(`context "${contextName}" names cluster "${ctx.cluster ?? ''}", which is not in the kubeconfig`, { field: '--context' });
  const server = (cluster.cluster as { server?: string } | undefined)?.server;
  if (!server) throw new UsageError(`cluster "${cluster.name}" has no server`, { field: '--kubeconfig' });
  merged['current-context'] = contextName;
  return { config: merged, files, contextName, clusterName: cluster.name, userName: ctx.user ?? '', server, origin };
}
