import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, placeControlPlane, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { motoCliEnv, motoEc2, seedCluster, startAwsProxy, startMoto, type AwsProxy, type MotoServer, type SeededCluster } from '../fakes/moto/index.js';
import { SimulatedNodeAgent } from '../fakes/node-agent/agent.js';
import { scriptFromUserData } from '../fakes/node-agent/script.js';
import { watchOnTerminal } from '../helpers/pty.js';

/**
 * join's progress on a terminal (a pseudo-terminal from `script`): a line per node redrawn in
 * place; off a terminal the timestamped lines as before, without a control character.
 */
const bin = fileURLToPath(new URL('../../bin/win-k8s.js', import.meta.url));
const ESC = '\u001b';

describe('join progress, on a terminal and off one (moto + fake kube-apiserver)', function () {
  this.timeout(180_000);
  let moto: MotoServer;
  let proxy: AwsProxy;
  let fake: FakeKubeApiServer;
  let seeded: SeededCluster;
  let kubeconfig: string;
  let ec2: EC2Client;
  let agent: SimulatedNodeAgent;
  const consoles = new Map<string, string[]>();

  async function instances() {
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:win-k8s.io/cluster', Values: ['kubernetes'] }] }));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
  }

  before(async () => {
    moto = await startMoto();
    proxy = await startAwsProxy(moto.url, { consoleOutput: (id) => consoles.get(id)?.join('\n') });
    seeded = await seedCluster(moto.url, { cluster: 'kubernetes' });
    ec2 = motoEc2(moto.url);
    fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
    await fake.start();
    placeControlPlane(fake, seeded.providerId);
    kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    agent = new SimulatedNodeAgent({
      fake,
      pollMs: 100,
      console: { append: (id, line) => consoles.set(id, [...(consoles.get(id) ?? []), line]) },
      source: {
        list: async () => (await instances()).filter((i) => i.State?.Name === 'running').map((i) => ({ id: i.InstanceId! })),
        script: async (id) => {
          const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }));
          return scriptFromUserData(Buffer.from(attr.UserData?.Value ?? '', 'base64').toString('utf8'));
        },
      },
    });
    agent.start();
  });

  after(async () => {
    await agent?.stop();
    ec2?.destroy();
    await fake?.stop();
    await proxy?.stop();
    await moto?.stop();
  });

  const args = (pool: string) => ['join', '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--yes', '--pool', pool, '--count', '1', '--kubeconfig', kubeconfig];

  it('off a terminal: timestamped lines, no control characters, no redrawn lines', async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args('offtty')], { env: motoCliEnv(proxy.url), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    for (const out of [r.stdout, r.stderr]) assert.ok(!out.includes(ESC) && !out.includes('\r'), JSON.stringify(out));
    assert.match(r.stderr, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[ℹ\]  offtty-[a-z0-9]{5}: Node is Ready$/m);
    assert.doesNotMatch(r.stderr, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  });

  it('on a terminal: a line per node with its phase and elapsed time, redrawn in place, erased before the summary', async () => {
    const r = await watchOnTerminal(args('ontty'), { ...motoCliEnv(proxy.url), TERM: 'xterm', COLUMNS: '120' });
    assert.equal(r.code, 0, r.screen);
    const node = /ontty-[a-z0-9]{5}/.exec(r.screen)?.[0];
    assert.ok(node, r.screen);
    // Redrawn while the VM boots and registers: spinner, node, elapsed, what it is doing.
    const live = [...r.screen.matchAll(new RegExp(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏](?:\\u001b\\[\\d+m)?  ${node} +\\d+s  (.+?)(?:\\r|\\n|\\u001b|$)`, 'g'))];
    assert.ok(live.length >= 2, `per-node lines: ${live.length}\n${JSON.stringify(r.screen.slice(-3000))}`);
    // The line is erased in place (carriage return, clear line), not appended.
    assert.ok(r.screen.includes('\r\u001b[2K'));
    // Ready ends it with a mark and a stopped clock, and the summary follows it.
    assert.match(r.screen, new RegExp(`✔(?:\\u001b\\[\\d+m)?  ${node} +\\d+s  Node is Ready`));
    assert.ok(r.screen.lastIndexOf('\r\u001b[2K') < r.screen.search(/1\/1 nodes ready in pool ontty/));
    // No timestamps on a terminal, as before.
    assert.doesNotMatch(r.screen, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[/m);
  });
});
