import { closeSync, constants, fchmodSync, lstatSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

export interface OutputTargetOptions {
  /**
   * Whether a symlink at the target may be written through. Never for a secret-bearing file:
   * a link planted where the file goes would otherwise rewrite (and widen the audience of)
   * whatever it points at.
   */
  followSymlink?: boolean;
}

/**
 * Checks, before any work, that `file` can be written: its directory exists and is a
 * directory, and the target is not a directory (nor a symlink, unless allowed). A run that
 * only learns this after every check ran, or after a whole wizard, wasted the user's time and
 * then exits with an internal error instead of naming the flag. Returns the absolute path.
 */
export function checkOutputTarget(cwd: string, file: string, field: string, options: OutputTargetOptions = {}): string {
  const path = resolve(cwd, file);
  const dir = dirname(path);
  let dirIsDirectory: boolean;
  try {
    dirIsDirectory = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`the directory of ${file} (${dir}) does not exist`, { field });
  }
  if (!dirIsDirectory) throw new UsageError(`${dir} is not a directory, so ${file} cannot be written there`, { field });
  let target: import('node:fs').Stats | undefined;
  try {
    target = lstatSync(path);
  } catch {
    return path;
  }
  if (target.isSymbolicLink()) {
    if (!options.followSymlink) throw new UsageError(`${file} is a symbolic link; refusing to write through it (name the file itself, or remove the link)`, { field });
    try {
      target = statSync(path);
    } catch {
      // A dangling link: writing through it creates its target, which the directory check above did not cover.
      throw new UsageError(`${file} is a symbolic link to a path that does not exist`, { field });
    }
  }
  if (target.isDirectory()) throw new UsageError(`${file} is a directory; name a file`, { field });
  if (!target.isFile()) throw new UsageError(`${file} exists and is not a regular file`, { field });
  return path;
}

/**
 * Writes a file only its owner can read (0600 unless told otherwise), whether or not it
 * existed before. The content goes to a new file created beside the target with
 * O_CREAT|O_EXCL|O_NOFOLLOW and the mode set on the descriptor before the first byte, and
 * that file is renamed over the target. So an existing file's wider mode is never kept (the
 * target is a new inode), a symlink at the target is replaced rather than followed (rename
 * does not follow it; checkOutputTarget refuses one up front so the user hears about it),
 * and a reader never sees a half-written file.
 */
export function writeSecretFile(cwd: string, file: string, content: string | Uint8Array, field = '--output-file', mode = 0o600): string {
  const path = checkOutputTarget(cwd, file, field);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    // The umask may have narrowed or (with an odd umask) not narrowed the mode: set it exactly.
    fchmodSync(fd, mode);
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Not created, or already renamed: nothing to clean up.
    }
    throw new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { field });
  }
  return path;
}
