import type { ResolvedPlacement, WizardChoices } from '../provider.js';
import { azureStatus } from './errors.js';
import { parseArmId, type AzureContext } from './session.js';

/** Sizes `init` offers: general purpose, memory and compute optimised, at least 2 vCPUs and 8 GB. */
const WIZARD_SIZE = /^Standard_[DEF]\d+/;

/**
 * VNets of the subscription (the control plane's first; only the location's when it is known)
 * and the VM sizes the location offers. virtualMachineSizes does not show subscription
 * restrictions (resourceSkus would); a restricted size still fails at create with SkuNotAvailable.
 */
export async function wizardChoices(
  ctx: AzureContext,
  opts: { placement: ResolvedPlacement | undefined; location: string | undefined; resourceGroup: string | undefined; vmSize: string },
): Promise<WizardChoices> {
  const { placement, location } = opts;
  const vnets: { id?: string | undefined; location?: string | undefined; subnets?: { id?: string | undefined; addressPrefix?: string | undefined; addressPrefixes?: string[] | undefined }[] | undefined }[] = [];
  try {
    for await (const v of ctx.s.network.virtualNetworks.listAll()) vnets.push(v);
  } catch (err) {
    // Roles granted on resource groups only cannot list the subscription: read the groups known.
    if (azureStatus(err) !== 403) throw err;
    const groups = new Set([opts.resourceGroup, placement ? parseArmId(placement.networkId, 'Microsoft.Network/virtualNetworks')?.resourceGroup : undefined].filter((g): g is string => !!g));
    for (const g of groups) for await (const v of ctx.s.network.virtualNetworks.list(g)) vnets.push(v);
  }
  const rank = (network: string) => (placement && network.toLowerCase() === placement.networkId.toLowerCase() ? 0 : 1);
  const subnets = vnets
    .filter((v) => v.id && (!location || v.location?.toLowerCase() === location.toLowerCase()))
    .flatMap((v) => (v.subnets ?? []).filter((n) => n.id).map((n) => ({ id: n.id!, cidr: n.addressPrefix ?? n.addressPrefixes?.join(',') ?? '', zone: v.location ?? '', network: v.id! })))
    .sort((a, b) => rank(a.network) - rank(b.network) || a.id.localeCompare(b.id));
  const sizes: { name: string; cores: number; memoryMb: number }[] = [];
  if (location) {
    for await (const z of ctx.s.compute.virtualMachineSizes.list(location)) {
      if (z.name && WIZARD_SIZE.test(z.name) && (z.numberOfCores ?? 0) >= 2 && (z.memoryInMB ?? 0) >= 8192) sizes.push({ name: z.name, cores: z.numberOfCores ?? 0, memoryMb: z.memoryInMB ?? 0 });
    }
  }
  const instanceTypes = sizes
    .sort((a, b) => Number(b.name === opts.vmSize) - Number(a.name === opts.vmSize) || a.cores - b.cores || a.memoryMb - b.memoryMb || a.name.localeCompare(b.name))
    .map((z) => z.name);
  return { subnets, instanceTypes };
}
