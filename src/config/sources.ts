import type { LoadedFile } from './load.js';
import type { CliValues } from './resolve.js';
import type { Env } from '../output/terminal.js';

/**
 * Where a run's settings come from: the command line, WIN_K8S_* variables and the config
 * file, plus the directory relative paths in them are read from. The command layer fills it;
 * everything below it reads settings only through this.
 */
export interface ConfigSources {
  cli: CliValues;
  env: Env;
  configFile: LoadedFile | undefined;
  cwd: string;
}
