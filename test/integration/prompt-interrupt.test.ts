import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { typeOnTerminal } from '../helpers/pty.js';
import { startKubeadmFake } from '../helpers/kube-fake.js';

describe('Ctrl-C at a prompt is an interrupt: exit 130, one short line, nothing half-written', () => {
  it('init, at the first question', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
    const s = await typeOnTerminal(['init'], { HOME: dir, KUBECONFIG: join(dir, 'none') }, dir, [{ when: /Cloud for the Windows VMs/, keys: '\x03' }]);
    assert.equal(s.exitCode, 130, s.screen);
    assert.match(s.screen, /\[✖\]\s+interrupted/);
    assert.doesNotMatch(s.screen, /internal error|this is a bug|ExitPromptError|at .*\.js:\d+/);
    assert.deepEqual(readdirSync(dir), [], 'no config file, not even a partial one');
  });

  it('init, after some answers were given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
    const s = await typeOnTerminal(['init', '--file', 'cluster.yaml'], { HOME: dir, KUBECONFIG: join(dir, 'none') }, dir, [
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
    before(async () => ({ fake, kubeconfig } = await startKubeadmFake()));
    after(() => fake.stop());

    it('Ctrl-C at "join up to 1 Windows node(s) ...?" exits 130 and creates nothing', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'win-k8s-join-'));
      const secretsBefore = fake.store.list('secrets', { namespace: 'kube-system' }).length;
      const s = await typeOnTerminal(
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
