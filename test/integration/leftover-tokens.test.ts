import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, placeControlPlane, winK8sTokenSecrets, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { motoCliEnv, seedCluster, startAwsProxy, startMoto, type AwsProxy, type MotoServer } from '../fakes/moto/index.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A join killed hard (SIGKILL, a lost CI runner) cannot delete its bootstrap token: the token
 * stays valid until it expires. The commands around the pool must see it and clean it up.
 * No simulated nodes here: the VMs never join, which is what a killed run leaves.
 */
describe('a bootstrap token left by a join killed with SIGKILL: list shows it, join warns, remove --pool deletes it', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let proxy: AwsProxy;
  let fake: FakeKubeApiServer;
  let kubeconfig: string;

  const env = () => motoCliEnv(proxy.url);

  /** Runs the CLI; `killWhen` is polled and the child SIGKILLed once it returns true. */
  function cli(args: string[], killWhen?: () => boolean, extraEnv: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--kubeconfig', kubeconfig], { env: { ...env(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = killWhen
        ? setInterval(() => {
            if (killWhen()) child.kill('SIGKILL');
          }, 20)
        : undefined;
      child.on('close', (code, signal) => {
        if (timer) clearInterval(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  const poolTokens = () => winK8sTokenSecrets(fake);
  const tokenId = (s: { metadata?: unknown }) => String((s.metadata as { name: string }).name).replace(/^bootstrap-token-/, '');

  before(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url, {});
    const seeded = await seedCluster(moto.url, { cluster: 'kubernetes' });
    fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    placeControlPlane(fake, seeded.providerId);
    kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
  });

  after(async () => {
    await fake?.stop();
    await proxy?.stop();
    await moto?.stop();
  });

  it('leaves the token behind, and each command around the pool deals with it', async () => {
    const join = ['join', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--yes', '--pool', 'lost'];
    // Killed once the token exists and the VMs are being created: nothing runs the cleanup.
    const killed = await cli([...join, '--count', '1'], () => poolTokens().length > 0 && proxy.calls('RunInstances').length > 0);
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const left = poolTokens();
    assert.equal(left.length, 1, 'the killed run left its token');
    const id = tokenId(left[0]!);

    const listed = await cli(['list', '--cloud', 'aws', '-o', 'json']);
    assert.equal(listed.code, 0, listed.stderr);
    const doc = JSON.parse(listed.stdout) as { tokens: { id: string; pool: string; expiresAt: string | null }[] };
    assert.deepEqual(
      doc.tokens.map((t) => [t.id, t.pool]),
      [[id, 'lost']],
    );
    assert.ok(doc.tokens[0]!.expiresAt && Date.parse(doc.tokens[0]!.expiresAt) > Date.now(), 'expiry shown');
    const human = await cli(['list', '--cloud', 'aws']);
    assert.match(human.stdout, new RegExp(`live bootstrap token ${id} of pool lost`));

    // A later join of the pool says so, with the command that deletes it. It creates one more
    // VM that never joins: a short timeout ends it, and --on-failure delete removes that VM.
    const again = await cli([...join, '--count', '2', '--timeout', '3s', '--on-failure', 'delete', '-o', 'json']);
    assert.match(again.stderr, new RegExp(`bootstrap token ${id} of pool lost from an earlier run is still valid.*kubectl -n kube-system delete secret bootstrap-token-${id}`));
    assert.deepEqual(poolTokens().map(tokenId), [id], 'the second run deleted its own token, and only it');

    // remove's settings read their variables too (an error names it); what it removes does not:
    // WIN_K8S_POOL alone never makes a bare `remove` take a whole pool.
    const badTimeout = await cli(['remove', '--cloud', 'aws', '--pool', 'lost', '--yes'], undefined, { WIN_K8S_DRAIN_TIMEOUT: 'soon' });
    assert.equal(badTimeout.code, 2);
    assert.match(badTimeout.stderr, /WIN_K8S_DRAIN_TIMEOUT: expected a duration such as 90s, 2m30s, 1h30m or 500ms \(units h, m, s, ms\), got "soon"/);
    const bare = await cli(['remove', '--cloud', 'aws', '--yes'], undefined, { WIN_K8S_POOL: 'lost' });
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /name the nodes to remove, or pass --pool/);
    assert.deepEqual(poolTokens().map(tokenId), [id], 'nothing removed by the variable');
    const removed = await cli(['remove', '--cloud', 'aws', '--pool', 'lost', '--yes', '-o', 'json']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout).deletedTokens, [id]);
    assert.deepEqual(poolTokens(), [], 'nothing may join a pool being removed');
    // The token never reached the output of any command.
    const secret = Buffer.from(String((left[0]!.data as Record<string, string>)['token-secret']), 'base64').toString();
    for (const r of [killed, listed, human, again, badTimeout, bare, removed]) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'token secret printed');
  });
});
