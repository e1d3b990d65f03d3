import { randomInt } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UsageError } from '../../errors.js';

/**
 * A password meeting Azure's rules (12-123 characters, 3 of the 4 classes) with all four classes,
 * from the CSPRNG. Nobody needs it for the join; it exists because Windows VMs require one.
 */
export function generateAdminPassword(length = 24): string {
  const classes = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#$%*+-=?@^_~'];
  const all = classes.join('');
  const chars = classes.map((c) => c[randomInt(c.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/**
 * --admin-password-file, opened for appending before the first create: a path that cannot be
 * written fails the run before anything exists. 0600 is set on the open descriptor before the
 * first write, because open()'s mode applies only to a file it creates. Appends are serialised.
 */
export class PasswordFile {
  written = 0;
  private chain: Promise<void> = Promise.resolve();

  private constructor(readonly path: string, private readonly fh: FileHandle) {}

  static async open(path: string): Promise<PasswordFile> {
    let fh: FileHandle | undefined;
    try {
      // Appended to, never replaced (earlier runs' passwords stay), and never through a symlink:
      // the plan refused one, and a link made since must not redirect the passwords elsewhere.
      fh = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      await fh.chmod(0o600);
      return new PasswordFile(path, fh);
    } catch (err) {
      await fh?.close().catch(() => undefined);
      throw new UsageError(`cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { field: '--admin-password-file', cause: err, hint: 'give a path in a directory you can write to' });
    }
  }

  append(nodeName: string, password: string): Promise<void> {
    const next = this.chain.then(async () => {
      await this.fh.appendFile(`${nodeName}\t${password}\n`, 'utf8');
      this.written++;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.fh.close();
  }
}
