import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeArm, type FakeArm } from '../fakes/arm/index.js';
import { CP_NIC, CP_VM, SUB, SUBNET, VNET } from '../fakes/arm/ids.js';
import { placeControlPlane, type FakeKubeApiServer } from '../fakes/kube-apiserver/index.js';
import { startPlacedKubeFake } from './kube-fake.js';

/** The control plane's VM in ARM: its virtual network and subnet, and its NIC in that subnet. */
export function seedArmControlPlane(arm: FakeArm, addressPrefixes: string[] = ['10.1.0.0/16']): void {
  arm.seed(VNET, { type: 'Microsoft.Network/virtualNetworks', location: 'eastus', properties: { addressSpace: { addressPrefixes } } });
  arm.seed(SUBNET, { type: 'Microsoft.Network/virtualNetworks/subnets', properties: { addressPrefix: '10.1.0.0/24' } });
  arm.seed(CP_NIC, { type: 'Microsoft.Network/networkInterfaces', location: 'eastus', properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { primary: true, subnet: { id: SUBNET }, privateIPAddress: '10.1.0.4' } }] } });
  arm.seed(CP_VM, { type: 'Microsoft.Compute/virtualMachines', location: 'eastus', properties: { networkProfile: { networkInterfaces: [{ id: CP_NIC, properties: { primary: true } }] } } });
}

/**
 * Writes a CA bundle that trusts the fake's TLS certificate, for NODE_EXTRA_CA_CERTS. Node adds
 * that file to its built-in CAs; whatever the machine already added there stays.
 */
export function writeArmCaBundle(dir: string, arm: FakeArm): string {
  const inherited = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8') : '';
  const caBundle = join(dir, 'ca.pem');
  writeFileSync(caBundle, `${inherited.trimEnd()}\n${arm.caPem}`);
  return caBundle;
}

/**
 * Credentials DefaultAzureCredential finds: no AZURE_CLIENT_* and no federated token file, so the
 * environment and workload identity links are unavailable at once; managed identity finds App Service.
 */
export const armCredentials = (arm: FakeArm) => ({ IDENTITY_ENDPOINT: arm.identity.endpoint, IDENTITY_HEADER: arm.identity.header });

/** The spawned CLI's environment without credentials: ARM redirected to the fake, trusted through `caBundle`. */
export const armCliEnv = (dir: string, arm: FakeArm, caBundle: string) => ({ PATH: process.env.PATH ?? '', HOME: dir, AZURE_ARM_ENDPOINT: arm.url, NODE_EXTRA_CA_CERTS: caBundle, NO_COLOR: '1' });

export interface AzureCliEnv {
  /** A fresh temporary folder, the CLI's HOME; the caller removes it. */
  dir: string;
  arm: FakeArm;
  fake: FakeKubeApiServer;
  kubeconfig: string;
  caBundle: string;
}

/**
 * What the CLI runs against in an Azure test: the ARM fake offering `vmSizes` in eastus with the
 * control plane's VM seeded, and a fake kube-apiserver whose control-plane node runs on that VM.
 * The caller closes `arm` and stops `fake`.
 */
export async function startAzureCliEnv(options: { prefix: string; vmSizes: string[]; addressPrefixes?: string[] }): Promise<AzureCliEnv> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  const arm = await startFakeArm({ subscription: SUB, staticTokens: [], vmSizes: { eastus: options.vmSizes } });
  seedArmControlPlane(arm, options.addressPrefixes);
  const caBundle = writeArmCaBundle(dir, arm);
  // The control plane runs on the seeded VM: subscription, resource group and network come from it.
  const { fake, kubeconfig } = await startPlacedKubeFake((f) => placeControlPlane(f, `azure://${CP_VM}`));
  return { dir, arm, fake, kubeconfig, caBundle };
}
