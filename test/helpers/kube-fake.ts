import { ADMIN_TOKEN, FakeKubeApiServer, healthyKubeadmFlannel, writeKubeconfigFor } from '../fakes/kube-apiserver/index.js';

/**
 * A started fake kube-apiserver holding a healthy kubeadm + flannel cluster whose kubeadm-config
 * names `controlPlaneEndpoint` (its cluster-info still holds the fake's own loopback address),
 * and a kubeconfig for it with the admin token. The caller stops `fake`.
 */
export async function startKubeadmFake(controlPlaneEndpoint = 'cp.example.internal:6443'): Promise<{ fake: FakeKubeApiServer; kubeconfig: string }> {
  const fake = new FakeKubeApiServer(healthyKubeadmFlannel({ controlPlaneEndpoint }));
  await fake.start();
  return { fake, kubeconfig: writeKubeconfigFor(fake, { token: ADMIN_TOKEN }) };
}

/**
 * A started fake kube-apiserver holding a healthy kubeadm + flannel cluster (its DaemonSets not
 * restricted to Linux), whose nodes `place` puts on a cloud by their providerID, and a kubeconfig
 * for it with the admin token: what a cloud test's CLI runs against. The caller stops `fake`.
 */
export async function startPlacedKubeFake(place: (fake: FakeKubeApiServer) => void): Promise<{ fake: FakeKubeApiServer; kubeconfig: string }> {
  const fake = new FakeKubeApiServer(healthyKubeadmFlannel({ linuxOnlyDaemonSet: false }));
  await fake.start();
  place(fake);
  return { fake, kubeconfig: writeKubeconfigFor(fake, { token: ADMIN_TOKEN }) };
}
