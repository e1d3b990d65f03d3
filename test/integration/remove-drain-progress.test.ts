import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FakeKubeApiServer, makeNode, makePod } from '../fakes/kube-apiserver/index.js';
import { motoCliEnv } from '../fakes/moto/index.js';
import { startAwsJoinEnv, type AwsJoinEnv } from '../helpers/aws-join-env.js';
import { watchOnTerminal } from '../helpers/pty.js';

const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));

/**
 * `remove`'s drain, through the built CLI: a PodDisruptionBudget holds the only pod on the node
 * until the test lifts it, and what the user sees meanwhile is the subject. Off a terminal a
 * timestamped line per node every few seconds names the pods left and the budget; on one a
 * single line per node is redrawn in place.
 */
describe('remove: drain progress (moto + fake kube-apiserver)', function () {
  this.timeout(120_000);
  let aws: AwsJoinEnv;
  let fake: FakeKubeApiServer;

  before(async () => {
    aws = await startAwsJoinEnv();
    fake = aws.fake;
  });
  after(async () => {
    await aws?.stop();
  });

  /** A pool node with one ReplicaSet pod that a minAvailable: 1 budget keeps from being evicted. */
  function guardedNode(node: string, ip: string) {
    fake.store.put(makeNode({ name: node, os: 'windows', internalIP: ip, labels: { 'win-k8s.io/pool': 'drn' } }));
    fake.store.put(
      makePod({
        namespace: 'default',
        name: `${node}-web`,
        nodeName: node,
        hostIP: ip,
        template: { labels: { app: node }, containers: [{ name: 'c', image: 'mcr.microsoft.com/windows/servercore:ltsc2022' }] },
        owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${node}-rs`, uid: `${node}-uid` },
      }),
    );
    fake.store.put({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { namespace: 'default', name: `${node}-pdb` }, spec: { minAvailable: 1, selector: { matchLabels: { app: node } } } });
    // Lifted by the test once the CLI has tried the eviction `attempts` times (every 2 s): the
    // drain then evicts the pod and goes on.
    return async (attempts: number) => {
      const deadline = Date.now() + 90_000;
      while (fake.requests.filter((r) => r.path.endsWith(`/${node}-web/eviction`)).length < attempts && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      fake.store.remove('poddisruptionbudgets.policy', 'default', `${node}-pdb`);
    };
  }

  it('off a terminal: a timestamped line every few seconds with the pods left and the budget waited on', async () => {
    const lift = guardedNode('win-drn01', '10.0.1.201');
    const started = Date.now();
    const run = new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, 'remove', 'win-drn01', '--cloud', 'aws', '--yes', '--drain-timeout', '2m', '--kubeconfig', aws.kubeconfig], { env: motoCliEnv(aws.proxy.url), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    // Six refused evictions, 2 s apart: long enough for two of the lines that come every 5 s.
    await lift(6);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => /draining win-drn01/.test(l));
    const blocked = lines.filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[ℹ\] {2}draining win-drn01: 1 pod left, waiting on PodDisruptionBudget default\/win-drn01-pdb \(needs 1 healthy pods, has 1\) to evict default\/win-drn01-web \(\d+s\)$/.test(l));
    assert.ok(blocked.length >= 2, `at least two progress lines while the budget blocked, in:\n${r.stderr}`);
    assert.ok(lines.length <= Math.ceil((Date.now() - started) / 5000) + 2, `one line every 5 s, not one per retry:\n${lines.join('\n')}`);
    assert.doesNotMatch(r.stderr, /\u001b\[/, 'no escape sequences off a terminal');
    assert.equal(fake.store.get('nodes', undefined, 'win-drn01'), undefined, 'the Node was deleted once drained');
  });

  it('on a terminal: one line for the node redrawn in place, not a line per retry', async () => {
    const lift = guardedNode('win-drn02', '10.0.1.202');
    const lifted = lift(3);
    const env = motoCliEnv(aws.proxy.url);
    delete (env as Record<string, string | undefined>).NO_COLOR;
    try {
      const r = await watchOnTerminal(['remove', 'win-drn02', '--cloud', 'aws', '--yes', '--drain-timeout', '2m', '--kubeconfig', aws.kubeconfig], env);
      assert.equal(r.code, 0, r.screen);
      assert.match(r.screen, /draining win-drn02: 1 pod left, waiting on PodDisruptionBudget default\/win-drn02-pdb/);
      // Redrawn in place: each frame is erased (carriage return + clear line) before the next.
      const frames = r.screen.split('\r\u001b[2K').filter((f) => /draining win-drn02/.test(f));
      assert.ok(frames.length >= 5, `the line was redrawn (${frames.length} frames)`);
      // The log keeps no timestamps on a terminal, and no copy of the progress line per redraw.
      assert.doesNotMatch(r.screen, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[ℹ\] {2}draining/);
      assert.match(r.screen, /Node deleted/);
    } finally {
      await lifted;
    }
  });
});
