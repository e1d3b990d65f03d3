import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGceFake, type GceFake } from '../fakes/gce/index.js';
import type { FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { startPlacedKubeFake } from './kube-fake.js';

export const PROJECT = 'demo-proj';
export const ZONE = 'europe-west1-b';
export const REGION = 'europe-west1';
export const SA_EMAIL = 'win-k8s@demo-proj.iam.gserviceaccount.com';

/** The spawned CLI's environment without credentials: the Compute API redirected to the fake, no metadata server. */
export const gceCliEnv = (dir: string, gce: GceFake) => ({
  PATH: process.env.PATH ?? '',
  HOME: dir,
  CLOUDSDK_CONFIG: join(dir, 'gcloud'),
  CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: `http://127.0.0.1:${gce.port}/compute/v1/`,
  METADATA_SERVER_DETECTION: 'none',
  NO_COLOR: '1',
});

export interface GcpCliEnv {
  /** A fresh temporary folder, the CLI's HOME; the caller removes it. */
  dir: string;
  gce: GceFake;
  fake: FakeKubeApiServer;
  kubeconfig: string;
  /** A service-account key file, for GOOGLE_APPLICATION_CREDENTIALS; the fake accepts only tokens it signed. */
  keyPath: string;
}

/**
 * What the CLI runs against in a GCP test: the Compute fake with `machineTypes` in ZONE, a
 * Windows Server 2022 image, the network k8s with the control plane's instance, requiring tokens
 * signed by a new service-account key; and a fake kube-apiserver whose nodes run in ZONE.
 * The caller stops `gce` and `fake`.
 */
export async function startGcpCliEnv(options: { prefix: string; machineTypes: string[] }): Promise<GcpCliEnv> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPath = join(dir, 'key.json');
  writeFileSync(
    keyPath,
    JSON.stringify({ type: 'service_account', project_id: PROJECT, private_key_id: 'key0123456789abcdef', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: SA_EMAIL, client_id: '100000000000000000001', token_uri: 'https://oauth2.googleapis.com/token' }),
    { mode: 0o600 },
  );
  const gce = await startGceFake({
    project: PROJECT,
    zones: { [ZONE]: options.machineTypes },
    // Windows Server 2022 only: another version's image is missing.
    images: [{ project: 'windows-cloud', name: 'windows-server-2022-dc-core-v20260101', family: 'windows-2022-core', diskSizeGb: 50, windows: true }],
    networks: [{ name: 'k8s', subnetworks: [{ name: 'nodes', region: REGION, ipCidrRange: '10.20.0.0/20' }] }],
    instances: [{ name: 'cp-1', zone: ZONE, subnetwork: `projects/${PROJECT}/regions/${REGION}/subnetworks/nodes`, networkIP: '10.20.0.2' }],
    requireAuth: { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), clientEmail: SA_EMAIL },
  });
  const { fake, kubeconfig } = await startPlacedKubeFake((f) => {
    for (const node of f.store.list('nodes')) {
      (node.spec as { providerID: string }).providerID = `gce://${PROJECT}/${ZONE}/${(node.metadata as { name: string }).name}`;
      f.store.put(node);
    }
  });
  return { dir, gce, fake, kubeconfig, keyPath };
}
