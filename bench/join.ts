import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, writeKubeconfigFor } from '../test/fakes/kube-apiserver/index.js';
import { FAKE_CREDENTIALS, motoEc2, seedCluster, startAwsProxy, startMoto } from '../test/fakes/moto/index.js';
import { SimulatedNodeAgent } from '../test/fakes/node-agent/agent.js';
import { scriptFromUserData } from '../test/fakes/node-agent/script.js';

/**
 * `join --count 1` against `join --count 50` on moto with simulated nodes that take a fixed
 * time to register: the ratio shows how well creation and waiting run in parallel.
 */
export async function benchJoin(registerDelayMs = 2000): Promise<string[]> {
  const bin = fileURLToPath(new URL('../bin/win-k8s.js', import.meta.url));
  const moto = await startMoto();
  const consoles = new Map<string, string[]>();
  const proxy = await startAwsProxy(moto.url, { consoleOutput: (id) => consoles.get(id)?.join('\n') });
  const seeded = await seedCluster(moto.url, { cluster: 'kubernetes' });
  const ec2 = motoEc2(moto.url);
  const fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
  await fake.start();
  const cp = fake.store.get('nodes', undefined, 'cp-1')!;
  (cp.spec as { providerID: string }).providerID = seeded.providerId;
  fake.store.put(cp);
  const kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
  const agent = new SimulatedNodeAgent({
    fake,
    pollMs: 100,
    registerDelayMs,
    console: { append: (id, line) => consoles.set(id, [...(consoles.get(id) ?? []), line]) },
    source: {
      list: async () =>
        (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:win-k8s.io/cluster', Values: ['kubernetes'] }, { Name: 'instance-state-name', Values: ['running'] }] })))
          .Reservations!.flatMap((r) => r.Instances ?? [])
          .map((i) => ({ id: i.InstanceId! })),
      script: async (id) => scriptFromUserData(Buffer.from((await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }))).UserData?.Value ?? '', 'base64').toString('utf8')),
    },
  });
  agent.start();
  const run = (pool: string, count: number) =>
    new Promise<number>((resolve, reject) => {
      const started = process.hrtime.bigint();
      const child = spawn(process.execPath, [bin, 'join', '--kubeconfig', kubeconfig, '--cloud', 'aws', '--api-server', 'cp.example.internal:6443', '--yes', '--pool', pool, '--count', String(count), '--concurrency', '10', '-o', 'json'], {
        env: { PATH: process.env.PATH ?? '', AWS_ENDPOINT_URL: proxy.url, AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', WIN_K8S_POLL_INTERVAL: '100' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`join --count ${count} exited ${code}: ${err.slice(-2000)}`))));
    });
  try {
    const one = await run('one', 1);
    const fifty = await run('fifty', 50);
    const ratio = fifty / one;
    return [
      `join on moto with simulated nodes (registration takes ${registerDelayMs} ms)`,
      `join --count 1                ${one.toFixed(0).padStart(8)} ms`,
      `join --count 50               ${fifty.toFixed(0).padStart(8)} ms  ${ratio.toFixed(2)}x count 1 (target <= 2x: ${ratio <= 2 ? 'within target' : 'OVER TARGET'})`,
    ];
  } finally {
    await agent.stop();
    ec2.destroy();
    await fake.stop();
    await proxy.stop();
    await moto.stop();
  }
}
