import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, placeControlPlane, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { FAKE_CREDENTIALS, motoEc2, seedCluster, startAwsProxy, startMoto } from '../fakes/moto/index.js';
import { SimulatedNodeAgent } from '../fakes/node-agent/agent.js';
import { scriptFromUserData } from '../fakes/node-agent/script.js';

/**
 * The machine the README's quick start assumes, made of the fakes: a home folder whose
 * ~/.kube/config points at a kubeadm cluster (the fake kube-apiserver, its cluster-info naming a
 * routable address as a real cluster's does) and whose ~/.aws holds a default profile, as
 * `aws configure` writes it; the cluster's control plane runs on an EC2 instance in moto, and
 * simulated Windows nodes boot from the user data of the instances win-k8s creates.
 *
 * `env` is the whole environment the README's commands get: no AWS key variables (the SDK's
 * default chain has to find the profile file), the AWS endpoint redirected to the proxy with the
 * SDK's standard variable, cloud metadata probing off, and a `win-k8s` on PATH that runs the
 * clone's built CLI.
 */
export async function startReadmeEnv(options: { repo: string }) {
  const root = mkdtempSync(join(tmpdir(), 'win-k8s-readme-'));
  const consoles = new Map<string, string[]>();
  const started: (() => unknown)[] = [() => rmSync(root, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of started.splice(0).reverse()) await s();
  };
  try {
    const moto = await startMoto();
    started.push(() => moto.stop());
    const proxy = await startAwsProxy(moto.url, { consoleOutput: (id) => consoles.get(id)?.join('\n') });
    started.push(() => proxy.stop());
    const seeded = await seedCluster(moto.url, { cluster: 'kubernetes' });
    const fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false, clusterInfoServer: 'https://10.20.1.10:6443' }));
    await fake.start();
    started.push(() => fake.stop());
    placeControlPlane(fake, seeded.providerId);
    const ec2 = motoEc2(moto.url);
    started.push(() => ec2.destroy());

    const home = join(root, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeKubeconfigFor(fake, { token: ADMIN_TOKEN, path: join(home, '.kube', 'config') });
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), `[default]\naws_access_key_id = ${FAKE_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${FAKE_CREDENTIALS.secretAccessKey}\n`);
    writeFileSync(join(home, '.aws', 'config'), '[default]\nregion = us-east-1\n');

    // `win-k8s` as the README writes it, resolving to the clone's built CLI.
    const shimDir = join(root, 'shim');
    mkdirSync(shimDir);
    writeFileSync(join(shimDir, 'win-k8s'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(options.repo, 'bin', 'win-k8s.js'))} "$@"\n`, { mode: 0o755 });

    const env: Record<string, string> = {
      PATH: `${shimDir}:${process.env.PATH ?? ''}`,
      HOME: home,
      AWS_ENDPOINT_URL: proxy.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      METADATA_SERVER_DETECTION: 'none',
      WIN_K8S_POLL_INTERVAL: '100',
      NO_COLOR: '1',
    };

    /** The win-k8s instances of the seeded cluster, not yet terminated. */
    const instances = async () => {
      const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:win-k8s.io/cluster', Values: ['kubernetes'] }] }));
      return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
    };
    const agent = new SimulatedNodeAgent({
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
    started.push(() => agent.stop());
    return { root, home, env, fake, proxy, seeded, instances, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type ReadmeEnv = Awaited<ReturnType<typeof startReadmeEnv>>;
