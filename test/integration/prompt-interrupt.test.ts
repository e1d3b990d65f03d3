import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Session {
  /** Everything the terminal showed, escape sequences removed. */
  screen: string;
  exitCode: number;
}

/**
 * Runs the built CLI on a pseudo-terminal (util-linux `script`), and types `keys` (in order)
 * each time the screen shows the matching prompt text.
 */
function onTerminal(args: string[], env: Record<string, string>, cwd: string, steps: { when: RegExp; keys: string }[]): Promise<Session> {
  return new Promise((resolve, reject) => {
    const command = `${quote(process.execPath)} ${quote(bin)} ${args.map(quote).join(' ')}; echo "EXIT=$?"`;
    const child = spawn('/usr/bin/script', ['-qfc', command, '/dev/null'], { cwd, env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let raw = '';
    let next = 0;
    let lastLength = 0;
    const plain = () => raw.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    child.stdout.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
      const screen = plain();
      // Only text shown since the previous keys can trigger the next ones.
      if (next < steps.length && steps[next]!.when.test(screen.slice(lastLength))) {
        lastLength = screen.length;
        const keys = steps[next++]!.keys;
        setTimeout(() => child.stdin.write(keys), 150);
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit; screen so far:\n${plain()}`));
    }, 60_000);
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

describe('Ctrl-C at a prompt is an interrupt: exit 130, one short line, nothing half-written', () => {
  it('init, at the first question', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
    const s = await onTerminal(['init'], { HOME: dir, KUBECONFIG: join(dir, 'none') }, dir, [{ when: /Cloud for the Windows VMs/, keys: '\x03' }]);
    assert.equal(s.exitCode, 130, s.screen);
    assert.match(s.screen, /\[✖\]\s+interrupted/);
    assert.doesNotMatch(s.screen, /internal error|this is a bug|ExitPromptError|at .*\.js:\d+/);
    assert.deepEqual(readdirSync(dir), [], 'no config file, not even a partial one');
  });

  it('init, after some answers were given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
    const s = await onTerminal(['init', '--file', 'cluster.yaml'], { HOME: dir, KUBECONFIG: join(dir, 'none') }, dir, [
      { when: /Cloud for the Windows VMs/, keys: '\r' },
      { when: /\?/, keys: '\x03' },
    ]);
    assert.equal(s.exitCode, 130, s.screen);
    assert.match(s.screen, /interrupted/);
    assert.doesNotMatch(s.screen, /internal error|this is a bug/);
    assert.deepEqual(readdirSync(dir), []);
  });

  describe("join's y/N confirmation", () => {
    let fake: FakeKubeApiServer;
    let kubeconfig: string;
    before(async () => {
      fake = new FakeKubeApiServer(healthyKubeadmFlannel({ controlPlaneEndpoint: 'cp.example.internal:6443' }));
      await fake.start();
      kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    });
    after(() => fake.stop());

    it('Ctrl-C at "join up to 1 Windows node(s) ...?" exits 130 and creates nothing', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'win-k8s-join-'));
      const secretsBefore = fake.store.list('secrets', { namespace: 'kube-system' }).length;
      const s = await onTerminal(
        ['join', '--kubeconfig', kubeconfig, '--api-server', 'cp.example.internal:6443', '--cloud', 'aws', '--region', 'us-east-1'],
        { HOME: dir, AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_EC2_METADATA_DISABLED: 'true' },
        dir,
        [{ when: /join up to 1 Windows node\(s\)/, keys: '\x03' }],
      );
      assert.equal(s.exitCode, 130, s.screen);
      assert.match(s.screen, /\[✖\]\s+interrupted/);
      assert.doesNotMatch(s.screen, /internal error|this is a bug/);
      assert.equal(fake.store.list('secrets', { namespace: 'kube-system' }).length, secretsBefore, 'no bootstrap token was made');
    });
  });
});
