import { DescribeInstanceAttributeCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, placeControlPlane, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { motoEc2, seedCluster, startAwsProxy, startMoto, type AwsProxy, type MotoServer, type SeededCluster } from '../fakes/moto/index.js';
import { SimulatedNodeAgent } from '../fakes/node-agent/agent.js';
import { scriptFromUserData } from '../fakes/node-agent/script.js';

export interface AwsJoinEnvOptions {
  /** Changes the bootstrap script a node runs (by instance id), e.g. to give it a wrong token. */
  script?: (instanceId: string, script: string) => string;
  /** The API server address the cluster-info ConfigMap names (the fake's own loopback one if unset). */
  clusterInfoServer?: string;
}

/**
 * What `win-k8s join --cloud aws` runs against in the end-to-end tests: moto behind the AWS
 * proxy, a seeded VPC with its control-plane instance, a fake kube-apiserver placed on that
 * instance, and simulated Windows nodes that boot from each running instance's user data and
 * write their boot log to the console the proxy serves.
 */
export async function startAwsJoinEnv(options: AwsJoinEnvOptions = {}) {
  const consoles = new Map<string, string[]>();
  // What is started so far, stopped last-first, also when a later step of the set-up throws.
  const started: (() => unknown)[] = [];
  const stop = async () => {
    for (const s of started.splice(0).reverse()) await s();
  };
  try {
    const moto = await startMoto();
    started.push(() => moto.stop());
    const proxy = await startAwsProxy(moto.url, { consoleOutput: (id) => consoles.get(id)?.join('\n') });
    started.push(() => proxy.stop());
    const seeded = await seedCluster(moto.url, { cluster: 'kubernetes' });
    const fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false, clusterInfoServer: options.clusterInfoServer }));
    await fake.start();
    started.push(() => fake.stop());
    const ec2 = motoEc2(moto.url);
    started.push(() => ec2.destroy());
    // The control plane runs on the seeded EC2 instance: placement comes from its providerID.
    placeControlPlane(fake, seeded.providerId);
    const kubeconfig = writeKubeconfigFor(fake, { token: ADMIN_TOKEN });
    /** The win-k8s instances of the seeded cluster (of one pool if named), not yet terminated. */
    const instances = async (pool?: string) => {
      const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:win-k8s.io/cluster', Values: ['kubernetes'] }, ...(pool ? [{ Name: 'tag:win-k8s.io/pool', Values: [pool] }] : [])] }));
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
          const script = scriptFromUserData(Buffer.from(attr.UserData?.Value ?? '', 'base64').toString('utf8'));
          return options.script ? options.script(id, script) : script;
        },
      },
    });
    agent.start();
    started.push(() => agent.stop());
    return { moto, proxy, fake, seeded, kubeconfig, ec2, agent, instances, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type AwsJoinEnv = Awaited<ReturnType<typeof startAwsJoinEnv>>;
