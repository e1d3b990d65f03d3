import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';
import { FAKE_CREDENTIALS } from '../fakes/moto/index.js';
import { startAwsJoinEnv } from './aws-join-env.js';

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
  const started: (() => unknown)[] = [() => rmSync(root, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of started.splice(0).reverse()) await s();
  };
  try {
    // The cluster-info names a routable address, as a real cluster's does.
    const aws = await startAwsJoinEnv({ clusterInfoServer: 'https://10.20.1.10:6443' });
    started.push(() => aws.stop());
    const { fake, proxy, seeded, instances } = aws;

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

    return { root, home, env, fake, proxy, seeded, instances, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type ReadmeEnv = Awaited<ReturnType<typeof startReadmeEnv>>;
