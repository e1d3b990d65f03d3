import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The built CLI on a pseudo-terminal (util-linux `script`): each step's keys are typed when the
 * screen, since the previous keys, shows its text. Returns the screen without escape sequences.
 */
function onTerminal(args: string[], env: Record<string, string>, cwd: string, steps: { when: RegExp; keys: string }[]): Promise<{ screen: string; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const command = `${quote(process.execPath)} ${quote(bin)} ${args.map(quote).join(' ')}; echo "EXIT=$?"`;
    const child = spawn('/usr/bin/script', ['-qfc', command, '/dev/null'], { cwd, env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let raw = '';
    let next = 0;
    let seen = 0;
    const plain = () => raw.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    child.stdout.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
      const screen = plain();
      if (next < steps.length && steps[next]!.when.test(screen.slice(seen))) {
        seen = screen.length;
        const keys = steps[next++]!.keys;
        setTimeout(() => child.stdin.write(keys), 150);
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit after step ${next}; screen:\n${plain()}`));
    }, 90_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const screen = plain();
      const m = /EXIT=(\d+)/.exec(screen);
      if (!m) return reject(new Error(`no exit status; screen:\n${screen}`));
      resolve({ screen, exitCode: Number(m[1]) });
    });
  });
}

describe('init on a terminal: a wrong answer is refused where it is typed, and asked again', function () {
  this.timeout(120_000);

  it('a count over the limit and a pool name too long are refused with the rule; the file is written with the corrected answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
    const erase = '\x7f'.repeat(20);
    const s = await onTerminal(['init', '--file', 'w.yaml'], { HOME: dir, KUBECONFIG: join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1' }, dir, [
      { when: /Cloud for the Windows VMs/, keys: '\r' },
      { when: /Region/, keys: '\r' },
      { when: /Pool name/, keys: `${erase}windows-pool\r` },
      { when: /at most 9/, keys: `${erase}iis\r` },
      { when: /Number of Windows nodes/, keys: `${erase}501\r` },
      { when: /expected at most 500/, keys: `${erase}3\r` },
      { when: /Windows Server version/, keys: '\r' },
      { when: /Container runtime/, keys: '\r' },
      { when: /Network plugin/, keys: '\r' },
      { when: /Instance type/, keys: '\r' },
    ]);
    assert.equal(s.exitCode, 0, s.screen);
    const doc = parse(readFileSync(join(dir, 'w.yaml'), 'utf8')) as { pool: { name: string; count: number } };
    assert.equal(doc.pool.name, 'iis');
    assert.equal(doc.pool.count, 3);
    assert.match(s.screen, /wrote .*w\.yaml and win-k8s\.schema\.json.*next: win-k8s plan -c w\.yaml/s);
  });
});
