import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ClusterFacts } from '../cluster/discovery.js';
import { isLoopbackEndpoint } from '../cluster/endpoint.js';
import { normaliseApiServer } from '../config/validators.js';
import { UsageError, OperationError } from '../errors.js';
import type { Output } from '../output/output.js';
import { checkOutputTarget } from '../util/secret-file.js';
import { SCHEMA_FILE_NAME, SCHEMA_ID, jsonSchema } from '../config/json-schema.js';
import { askInit, checkJoinEndpoint, defaultAnswers, renderInitConfig, type Prompter, type WizardAnswers } from './wizard.js';

export interface InitDeps {
  output: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
  interactive: boolean;
  /** The cluster, read once before any question; undefined when it cannot be read (a warning). */
  readCluster: () => Promise<ClusterFacts>;
  /** Questions on the terminal; only called when the wizard asks. */
  prompter: () => Promise<Prompter>;
  loadChoices?: Parameters<typeof askInit>[2];
}

export interface InitOptions {
  file: string;
  fileField: string;
  force: boolean;
  defaults: boolean;
  /** --api-server: the join endpoint to write when cluster-info holds a loopback one. */
  apiServer?: string | undefined;
  apiServerField?: string;
}

/**
 * `win-k8s init`: asks (or, with --defaults, takes the defaults), writes win-k8s.yaml and the
 * JSON Schema beside it. Everything that can be checked before the questions is checked first;
 * whatever fails after them leaves the answers in a file the user is told about.
 */
export async function runInit(deps: InitDeps, opts: InitOptions): Promise<number> {
  if (!deps.interactive && !opts.defaults) {
    throw new UsageError('init asks questions and needs a terminal', {
      field: 'init',
      hint: 'pass --defaults to write the file without questions (then edit it), or write win-k8s.yaml yourself (win-k8s schema shows its shape)',
    });
  }
  // Checked before anything is asked: a missing directory or a directory at the path would
  // otherwise surface only after every question was answered. A symlink is followed: the
  // config holds no secret, and a linked win-k8s.yaml is a common dotfiles setup.
  const path = checkOutputTarget(deps.cwd, opts.file, opts.fileField, { followSymlink: true });
  if (existsSync(path) && !opts.force) throw new UsageError(`${path} exists; pass --force to overwrite it`, { field: opts.fileField });
  const schemaPath = join(dirname(path), SCHEMA_FILE_NAME);
  const schemaOurs = !existsSync(schemaPath) || isOurSchema(schemaPath);
  if (opts.apiServer !== undefined) {
    const ok = checkJoinEndpoint(opts.apiServer);
    if (ok !== true) throw new UsageError(ok, { field: opts.apiServerField ?? '--api-server' });
  }

  let facts: ClusterFacts | undefined;
  try {
    facts = await deps.readCluster();
  } catch (err) {
    // Ctrl-C while the cluster is read ends the run; only a cluster that cannot be read is a warning.
    if (deps.signal.aborted) throw err;
    deps.output.warn(`cluster not read (${(err as Error).message}); defaults will not come from it`);
  }

  let answers: WizardAnswers;
  if (opts.defaults) {
    answers = defaultAnswers(facts);
    if (facts && isLoopback(facts) && !opts.apiServer) {
      throw new UsageError(`${facts.endpointSource} gives the API endpoint ${facts.endpoint}, a loopback address the Windows nodes cannot reach`, {
        field: opts.apiServerField ?? '--api-server',
        hint: 'pass --api-server <host:port> as the nodes reach the API server (plan and join refuse a loopback endpoint)',
      });
    }
  } else {
    answers = await askInit(await deps.prompter(), facts, deps.loadChoices, opts.apiServer ? { apiServer: opts.apiServer } : {});
  }
  // Given on the command line, the endpoint is written whatever cluster-info says.
  if (opts.apiServer) answers = { ...answers, apiServer: normaliseApiServer(opts.apiServer).value ?? opts.apiServer };

  // From here on the answers exist only in memory: any failure keeps them.
  let text: string;
  try {
    text = renderInitConfig(answers, facts, schemaOurs ? `./${SCHEMA_FILE_NAME}` : null);
  } catch (err) {
    throw saveAside(deps, JSON.stringify(answers, null, 2), 'json', `the config could not be rendered: ${(err as Error).message}`);
  }
  try {
    writeFileSync(path, text, opts.force ? {} : { flag: 'wx' });
  } catch (err) {
    throw saveAside(deps, text, 'yaml', `${path} could not be written: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, path);
  }
  if (schemaOurs) {
    try {
      writeFileSync(schemaPath, `${JSON.stringify(jsonSchema(), null, 2)}\n`);
    } catch (err) {
      // The config is written; an editor without the schema only loses completion.
      deps.output.warn(`${schemaPath} could not be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); \`win-k8s schema\` prints it`);
    }
  } else {
    deps.output.warn(`${schemaPath} is not win-k8s's schema and was left alone, so the config has no schema line: \`win-k8s schema > <file>\` writes it elsewhere, and a first line \`# yaml-language-server: $schema=<file>\` points editors at it`);
  }
  deps.output.success(`wrote ${path}${schemaOurs ? ` and ${basename(schemaPath)} (its JSON Schema, for editors)` : ''}; next: win-k8s plan${opts.file === 'win-k8s.yaml' ? '' : ` -c ${opts.file}`}`);
  return 0;
}

function isLoopback(facts: ClusterFacts): boolean {
  return isLoopbackEndpoint(facts.endpoint);
}

/** A schema file init wrote before (same $id) may be replaced; anything else is the user's. */
function isOurSchema(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { $id?: unknown }).$id === SCHEMA_ID;
  } catch {
    return false;
  }
}

/**
 * Keeps answers that could not be written where asked: in a new file under the temp directory
 * (mode 0600, never over an existing file), else on stderr. Returns the error to throw, which
 * names where they are.
 */
function saveAside(deps: InitDeps, content: string, ext: 'yaml' | 'json', why: string, target?: string): Error {
  const aside = join(tmpdir(), `win-k8s-init-${process.pid}-${Date.now()}.${ext}`);
  try {
    writeFileSync(aside, content, { flag: 'wx', mode: 0o600 });
    return new OperationError(`${why}; your answers are saved in ${aside}`, { hint: target ? `fix the cause, then: cp ${aside} ${target}` : 'run init again, or write win-k8s.yaml from them' });
  } catch {
    deps.output.writeErr(`${content}\n`);
    return new OperationError(`${why}; your answers are printed above`, { hint: 'copy them into the file once the cause is fixed' });
  }
}
