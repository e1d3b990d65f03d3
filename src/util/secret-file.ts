import { chmodSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** Writes a file only its owner can read (0600), also when it already existed with wider modes. */
export function writeSecretFile(cwd: string, file: string, content: string): string {
  const path = resolve(cwd, file);
  try {
    writeFileSync(path, content, { mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (err) {
    throw new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { field: '--output-file' });
  }
  return path;
}
