import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The built CLI on a pseudo-terminal (util-linux `script`), for the tests of what only a
 * terminal shows: prompts, spinners, lines redrawn in place. Tests that spawn it need
 * `npm run build` first.
 */
const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

/** Single-quoted for `sh -c`, which `script -c` hands the command to. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const cliCommand = (args: string[]) => [process.execPath, bin, ...args].map(quote).join(' ');

/** Escape sequences and carriage returns removed: the text a person reads. */
const plainText = (raw: string) => raw.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

export interface TerminalStep {
  /** Typed once the screen, since the previous keys, matches this. */
  when: RegExp;
  keys: string;
}

export interface TerminalSession {
  /** Everything the terminal showed, escape sequences removed. */
  screen: string;
  exitCode: number;
}

/**
 * Runs the CLI on a pseudo-terminal and types each step's keys when the screen, since the
 * previous keys, shows its text. Only PATH and TERM come from outside `env`, so the caller says
 * which HOME, kubeconfig and credentials the CLI sees. Rejects after `timeoutMs` with the
 * screen so far.
 */
export function typeOnTerminal(args: string[], env: Record<string, string>, cwd: string, steps: TerminalStep[], timeoutMs = 60_000): Promise<TerminalSession> {
  return new Promise((resolve, reject) => {
    const command = `${cliCommand(args)}; echo "EXIT=$?"`;
    const child = spawn('/usr/bin/script', ['-qfc', command, '/dev/null'], { cwd, env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let raw = '';
    let next = 0;
    let seen = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
      const screen = plainText(raw);
      // Only text shown since the previous keys can trigger the next ones.
      if (next < steps.length && steps[next]!.when.test(screen.slice(seen))) {
        seen = screen.length;
        const keys = steps[next++]!.keys;
        setTimeout(() => child.stdin.write(keys), 150);
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit after step ${next}; screen so far:\n${plainText(raw)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const screen = plainText(raw);
      const m = /EXIT=(\d+)/.exec(screen);
      if (!m) return reject(new Error(`no exit status; screen:\n${screen}`));
      resolve({ screen, exitCode: Number(m[1]) });
    });
  });
}

/**
 * Runs the CLI on a pseudo-terminal with nothing typed, and returns what the terminal received,
 * escape sequences included (the tests look at how lines are redrawn). `script -e` exits with
 * the CLI's status. `env` is the whole environment, plus TERM=xterm unless it sets TERM.
 */
export function watchOnTerminal(args: string[], env: Record<string, string>): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', cliCommand(args), '/dev/null'], { env: { TERM: 'xterm', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (c: Buffer) => (screen += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}
