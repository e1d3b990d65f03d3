import type { VirtualMachine } from '@azure/arm-compute';
import { UsageError } from '../../errors.js';
import { imageReference, knownOsDiskGb } from './images.js';

export const DEFAULT_VM_SIZE = 'Standard_D4s_v5';
export const ADMIN_USER = 'winadmin';

export function osDiskName(nodeName: string): string {
  return `${nodeName}-osdisk`;
}

/**
 * The OS disk size sent with the VM: never below the image's, which ARM refuses with
 * OperationNotAllowed. Undefined leaves diskSizeGB out, and Azure uses the image's size.
 */
export function osDiskGb(imageId: string, asked: number | undefined): number | undefined {
  const imageGb = knownOsDiskGb(imageId);
  if (asked === undefined) return imageGb;
  if (imageGb !== undefined && asked < imageGb) {
    throw new UsageError(`${asked} GiB is smaller than the image's ${imageGb} GiB OS disk`, { field: '--disk-size', hint: `use at least ${imageGb}, or leave --disk-size out to get the image's size` });
  }
  return asked;
}

/** The VM's name is its Windows computer name: refused here, before its NIC exists. */
export function checkComputerName(nodeName: string): void {
  if (nodeName.length > 15 || !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(nodeName) || /^\d+$/.test(nodeName)) {
    throw new UsageError(`node name "${nodeName}" cannot be a Windows computer name (at most 15 letters, digits and hyphens, not only digits)`, { field: '--pool' });
  }
}

export interface VmModelParams {
  nodeName: string;
  location: string;
  tags: Record<string, string>;
  vmSize: string;
  imageId: string;
  diskGb: number | undefined;
  /** Premium_LRS when undefined. */
  diskType: string | undefined;
  adminPassword: string;
  customData: string;
  nicId: string;
}

/** The VM resource ARM is asked for: desired state only, no call. */
export function vmModel(p: VmModelParams): VirtualMachine {
  return {
    location: p.location,
    tags: p.tags,
    hardwareProfile: { vmSize: p.vmSize },
    storageProfile: {
      imageReference: imageReference(p.imageId),
      osDisk: { name: osDiskName(p.nodeName), createOption: 'FromImage', ...(p.diskGb !== undefined ? { diskSizeGB: p.diskGb } : {}), managedDisk: { storageAccountType: p.diskType ?? 'Premium_LRS' }, deleteOption: 'Delete' },
    },
    osProfile: {
      computerName: p.nodeName,
      adminUsername: ADMIN_USER,
      adminPassword: p.adminPassword,
      customData: p.customData,
      windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: false },
    },
    networkProfile: { networkInterfaces: [{ id: p.nicId, primary: true, deleteOption: 'Delete' }] },
    // Managed boot diagnostics: no storage account, and the serial log is what consoleOutput reads.
    diagnosticsProfile: { bootDiagnostics: { enabled: true } },
  };
}
