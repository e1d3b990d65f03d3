import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { azureBootstrap, TOKEN_SLOT_VALUE } from '../../src/cloud/azure/custom-data.js';
import { bootstrapExtension } from '../../src/cloud/azure/extension.js';
import { resolveImage as azureImage } from '../../src/cloud/azure/images.js';
import { nestedVirtualizationProblem } from '../../src/cloud/azure/nested-virtualization.js';
import { nicModel } from '../../src/cloud/azure/network-interface.js';
import { nodeTags } from '../../src/cloud/azure/tags.js';
import { ADMIN_USER, DEFAULT_VM_SIZE, osDiskGb, vmModel, type VmModelParams } from '../../src/cloud/azure/vm-model.js';
import { instanceResource, type InstanceSettings } from '../../src/cloud/gcp/instances.js';
import { METADATA_VALUE_LIMIT, SCRIPT_KEY, scriptMetadata } from '../../src/cloud/gcp/metadata.js';
import type { CreateVmsRequest, ResolvedPlacement } from '../../src/cloud/provider.js';
import { UsageError } from '../../src/errors.js';
import { b85decode } from '../fakes/node-agent/script.js';

/**
 * The bodies the clouds are asked to create, built with no API at all: what an Azure VM (with
 * its NIC and bootstrap extension) and a Compute Engine instance look like for given options.
 * The wire tests check that the providers send them; these pin the fields that matter.
 */
const TOKEN = 'abcdef.0123456789abcdef';
const script = (name: string, token = TOKEN) => `<#\nwin-k8s bootstrap for ${name}\n#>\n$BootstrapToken = '${token}'\nWrite-Output 'join ${name}'\n`;
const ref = { cluster: 'Demo.Cluster', pool: 'win' };

describe('Azure VM model (pure)', () => {
  const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg';
  const base = (over: Partial<VmModelParams> = {}): VmModelParams => ({
    nodeName: 'win-abcde',
    location: 'westeurope',
    tags: nodeTags(ref, 'win-abcde'),
    vmSize: DEFAULT_VM_SIZE,
    imageId: azureImage({ windowsVersion: '2022', edition: 'core' }).id,
    diskGb: undefined,
    diskType: undefined,
    adminPassword: 'Pa55-word-not-real',
    customData: 'Q1VTVE9N',
    nicId: `${SUB}/providers/Microsoft.Network/networkInterfaces/win-abcde-nic`,
    ...over,
  });

  it('a marketplace image, the OS disk deleted with the VM, one primary NIC, the boot log on, and nothing more', () => {
    assert.deepEqual(vmModel(base()), {
      location: 'westeurope',
      tags: { 'win-k8s.io_cluster': 'Demo.Cluster', 'win-k8s.io_pool': 'win', 'win-k8s.io_node-name': 'win-abcde' },
      hardwareProfile: { vmSize: 'Standard_D4s_v5' },
      storageProfile: {
        imageReference: { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2022-datacenter-core-g2', version: 'latest' },
        osDisk: { name: 'win-abcde-osdisk', createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' }, deleteOption: 'Delete' },
      },
      osProfile: {
        computerName: 'win-abcde',
        adminUsername: ADMIN_USER,
        adminPassword: 'Pa55-word-not-real',
        customData: 'Q1VTVE9N',
        windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: false },
      },
      networkProfile: { networkInterfaces: [{ id: `${SUB}/providers/Microsoft.Network/networkInterfaces/win-abcde-nic`, primary: true, deleteOption: 'Delete' }] },
      diagnosticsProfile: { bootDiagnostics: { enabled: true } },
    });
  });

  it('disk size and type as asked; a gallery image by id; never a disk smaller than the image', () => {
    const gallery = `${SUB}/providers/Microsoft.Compute/galleries/g/images/win2022`;
    const m = vmModel(base({ imageId: gallery, diskGb: 256, diskType: 'StandardSSD_LRS' }));
    assert.deepEqual(m.storageProfile?.imageReference, { id: gallery });
    assert.equal(m.storageProfile?.osDisk?.diskSizeGB, 256);
    assert.equal(m.storageProfile?.osDisk?.managedDisk?.storageAccountType, 'StandardSSD_LRS');
    const marketplace = base().imageId;
    assert.equal(osDiskGb(marketplace, undefined), 127, "the marketplace image's size when none is asked");
    assert.equal(osDiskGb('MicrosoftWindowsServer:WindowsServer:2022-datacenter-smalldisk-g2:latest', undefined), 30);
    assert.equal(osDiskGb(gallery, undefined), undefined, "a gallery image's size is unknown: left to Azure");
    assert.equal(osDiskGb(marketplace, 200), 200);
    assert.throws(() => osDiskGb(marketplace, 64), (err: unknown) => err instanceof UsageError && err.field === '--disk-size' && /smaller than the image's 127 GiB/.test(err.message));
  });

  it('the NIC: the pool NSG, the subnet, a private dynamic address and no public IP', () => {
    const subnetId = `${SUB}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes`;
    const nsgId = `${SUB}/providers/Microsoft.Network/networkSecurityGroups/win-k8s-demo-win`;
    assert.deepEqual(nicModel({ location: 'westeurope', tags: { a: 'b' }, nsgId, subnetId }), {
      location: 'westeurope',
      tags: { a: 'b' },
      networkSecurityGroup: { id: nsgId },
      ipConfigurations: [{ name: 'ipconfig1', primary: true, privateIPAllocationMethod: 'Dynamic', subnet: { id: subnetId } }],
    });
  });

  it('the token slot: customData holds the script with a placeholder, the token goes only in the extension\'s protectedSettings', () => {
    const { customData, commandToExecute, carriesToken } = azureBootstrap('win-abcde', script('win-abcde'));
    assert.equal(carriesToken, true);
    const model = vmModel(base({ customData }));
    const stub = Buffer.from(model.osProfile!.customData!, 'base64').toString('utf8');
    assert.ok(!stub.includes(TOKEN));
    const payload = /\$payload = @'\n([\s\S]*?)\n'@/.exec(stub)?.[1];
    assert.ok(payload, 'customData is the compressed stub');
    const carried = gunzipSync(b85decode(payload.replace(/\s/g, ''))).toString('utf8');
    assert.match(carried, new RegExp(`^\\$BootstrapToken = '${TOKEN_SLOT_VALUE}'$`, 'm'));
    assert.ok(!carried.includes(TOKEN));

    const ext = bootstrapExtension({ location: 'westeurope', tags: { a: 'b' }, commandToExecute });
    assert.deepEqual(Object.keys(ext).sort(), ['autoUpgradeMinorVersion', 'location', 'protectedSettings', 'publisher', 'tags', 'typeHandlerVersion', 'typePropertiesType']);
    assert.equal(ext.settings, undefined, 'nothing in the public settings, which ARM returns to any reader');
    assert.deepEqual([ext.publisher, ext.typePropertiesType], ['Microsoft.Compute', 'CustomScriptExtension']);
    assert.ok((ext.protectedSettings as { commandToExecute: string }).commandToExecute.includes(`-Token '${TOKEN}'`));

    const provision = azureBootstrap('win-abcde', script('win-abcde', ''));
    assert.equal(provision.carriesToken, false);
    assert.ok(provision.commandToExecute.includes("-Token ''"));
  });

  it('nested virtualization (--hyperv-isolation) is a property of the size, not a flag on the VM', () => {
    assert.equal(nestedVirtualizationProblem(DEFAULT_VM_SIZE), undefined);
    assert.match(nestedVirtualizationProblem('Standard_B2s') ?? '', /burstable/);
    assert.match(nestedVirtualizationProblem('Standard_D4as_v4') ?? '', /AMD v4/);
    const m = vmModel(base());
    assert.equal(JSON.stringify(m).match(/nested|virtualization/i), null);
  });
});

describe('GCP instance resource (pure)', () => {
  const placement: ResolvedPlacement = {
    region: 'europe-west1',
    zone: 'europe-west1-b',
    networkId: 'projects/p/global/networks/vpc',
    subnetId: 'projects/p/regions/europe-west1/subnetworks/nodes',
    networkCidr: '10.10.0.0/16',
    extraFirewallIds: [],
  };
  const req: Pick<CreateVmsRequest, 'image' | 'placement' | 'ref'> = {
    image: { id: 'https://www.googleapis.com/compute/v1/projects/windows-cloud/global/images/windows-server-2022-dc-core-v20261110', name: 'windows-server-2022-dc-core-v20261110', containersPreinstalled: false },
    placement,
    ref,
  };
  const scope = { project: 'p', zone: 'europe-west1-b', region: 'europe-west1' };
  const settings: InstanceSettings = { machineType: 'n2-standard-4', diskSizeGb: 100 };

  it('boot disk from the image, the subnet with no external address, Shielded VM on, pool labels and tag, the bootstrap as the startup script', () => {
    assert.deepEqual(instanceResource(settings, req, scope, 'win-abcde', 'the script'), {
      name: 'win-abcde',
      machineType: 'zones/europe-west1-b/machineTypes/n2-standard-4',
      disks: [
        {
          boot: true,
          autoDelete: true,
          type: 'PERSISTENT',
          initializeParams: { sourceImage: req.image.id, diskSizeGb: '100', diskType: 'zones/europe-west1-b/diskTypes/pd-balanced' },
        },
      ],
      networkInterfaces: [{ network: placement.networkId, subnetwork: placement.subnetId, accessConfigs: [] }],
      shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
      // Label values are lower case: the cluster's name is folded.
      labels: { 'win-k8s-cluster': 'demo-cluster', 'win-k8s-pool': 'win', 'win-k8s-node-name': 'win-abcde' },
      tags: { items: ['win-k8s-demo-cluster-win'] },
      metadata: { items: [{ key: 'windows-startup-script-ps1', value: 'the script' }] },
    });
  });

  it('disk type, an external address and nested virtualization only when asked', () => {
    const r = instanceResource({ ...settings, diskType: 'pd-ssd', externalIp: true, nestedVirtualization: true }, req, scope, 'win-abcde', 's');
    assert.equal(r.disks?.[0]?.initializeParams?.diskType, 'zones/europe-west1-b/diskTypes/pd-ssd');
    assert.deepEqual(r.networkInterfaces?.[0]?.accessConfigs, [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }]);
    assert.deepEqual(r.advancedMachineFeatures, { enableNestedVirtualization: true });
    assert.equal('advancedMachineFeatures' in instanceResource({ ...settings, nestedVirtualization: false }, req, scope, 'win-abcde', 's'), false);
  });

  it('the startup-script metadata: the script as is when it fits, the compressed stub when it does not', () => {
    assert.equal(SCRIPT_KEY, 'windows-startup-script-ps1');
    const small = script('win-abcde');
    assert.deepEqual(scriptMetadata('win-abcde', small), { value: small, bytes: Buffer.byteLength(small), compressed: false });
    // Repetitive text compresses far under the limit: the stub carries the script.
    const big = `${small}${'# padding line for the metadata limit\n'.repeat(Math.ceil(METADATA_VALUE_LIMIT / 38) + 10)}`;
    assert.ok(Buffer.byteLength(big) > METADATA_VALUE_LIMIT);
    const meta = scriptMetadata('win-abcde', big);
    assert.equal(meta.compressed, true);
    assert.ok(meta.bytes <= METADATA_VALUE_LIMIT);
    const payload = /\$payload = @'\n([\s\S]*?)\n'@/.exec(meta.value)?.[1];
    assert.ok(payload);
    assert.equal(gunzipSync(b85decode(payload.replace(/\s/g, ''))).toString('utf8'), big.slice(big.indexOf('#>\n') + 3));
    const r = instanceResource(settings, req, scope, 'win-abcde', meta.value);
    assert.deepEqual(r.metadata?.items?.map((i) => i.key), [SCRIPT_KEY]);
  });
});
