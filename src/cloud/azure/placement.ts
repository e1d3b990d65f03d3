import { OperationError, UsageError } from '../../errors.js';
import type { Placement } from '../../cluster/provider-id.js';
import type { ResolvedPlacement } from '../provider.js';
import { nestedAlternatives, nestedVirtualizationProblem } from './nested-virtualization.js';
import { parseArmId, type AzureContext } from './session.js';
import { assertSizeUnrestricted, readSizeSkuIfAllowed } from './skus.js';

export interface PlacementOptions {
  /** --subnet-id; else the control plane VM's subnet. */
  subnetId?: string | undefined;
  controlPlane: Extract<Placement, { cloud: 'azure' }> | undefined;
  /** --location as given, checked against the virtual network's. */
  flagLocation?: string | undefined;
  /** The location this run already uses (--location, or an earlier placement), if any. */
  location: string | undefined;
  /** Told the location found before the VM size is checked against it. */
  settleLocation(location: string): void;
  vmSize: string;
  /** --hyperv-isolation: the size must offer nested virtualization. */
  nestedVirtualization?: boolean | undefined;
}

/** Nodes go into --subnet-id, or else the control plane VM's subnet; the VNet gives the location and the ranges. */
export async function resolvePlacement(ctx: AzureContext, opts: PlacementOptions): Promise<ResolvedPlacement> {
  let subnetId = opts.subnetId;
  let vmLocation: string | undefined;
  if (!subnetId) {
    const cp = opts.controlPlane;
    if (!cp) {
      throw new UsageError('no subnet given and the control plane does not run on Azure', { field: '--subnet-id', hint: 'pass --subnet-id /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' });
    }
    if (cp.scaleSet) {
      throw new UsageError(`the control plane runs in scale set ${cp.scaleSet}; win-k8s cannot read its network yet`, { field: '--subnet-id', hint: 'pass --subnet-id of the control plane\'s subnet' });
    }
    const vm = await ctx.s.compute.virtualMachines.get(cp.resourceGroup, cp.vmName);
    vmLocation = vm.location;
    const nicRef = vm.networkProfile?.networkInterfaces?.find((n) => n.primary) ?? vm.networkProfile?.networkInterfaces?.[0];
    const nicId = nicRef?.id ? parseArmId(nicRef.id, 'Microsoft.Network/networkInterfaces') : undefined;
    if (!nicId) throw new OperationError(`control plane VM ${cp.vmName} has no network interface win-k8s can read`, { hint: 'pass --subnet-id' });
    const nic = await ctx.s.network.networkInterfaces.get(nicId.resourceGroup, nicId.name);
    const ipc = nic.ipConfigurations?.find((c) => c.primary) ?? nic.ipConfigurations?.[0];
    subnetId = ipc?.subnet?.id;
    if (!subnetId) throw new OperationError(`network interface ${nicId.name} of the control plane has no subnet`, { hint: 'pass --subnet-id' });
  }
  const m = /^(\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+))\/subnets\/[^/]+$/i.exec(subnetId);
  if (!m) {
    throw new UsageError(`"${subnetId}" is not a subnet id`, { field: '--subnet-id', hint: 'the form is /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' });
  }
  const vnet = await ctx.s.network.virtualNetworks.get(m[2]!, m[3]!);
  const prefixes = vnet.addressSpace?.addressPrefixes ?? [];
  if (prefixes.length === 0) throw new OperationError(`virtual network ${m[3]} has no address space`);
  // A NIC must be in its VNet's location; ARM would refuse it only after the NSG exists, and
  // its InvalidResourceReference does not say that the location is the problem.
  const norm = (l: string) => l.replace(/\s+/g, '').toLowerCase();
  if (opts.flagLocation && vnet.location && norm(opts.flagLocation) !== norm(vnet.location)) {
    throw new UsageError(`location ${opts.flagLocation} is not that of virtual network ${m[3]} (${vnet.location})`, {
      field: '--location',
      hint: `leave --location out to use ${vnet.location}, or give --subnet-id of a virtual network in ${opts.flagLocation}`,
    });
  }
  const location = opts.location ?? vmLocation ?? vnet.location;
  if (!location) throw new UsageError('the Azure location is unknown', { field: '--location' });
  // Kept before the size is checked: a refused size still leaves the location known (init lists its sizes).
  opts.settleLocation(location);
  await checkVmSize(ctx, opts, location);
  // NSG rules take several prefixes; the placement carries them comma-separated.
  return { region: location, networkId: m[1]!, subnetId, networkCidr: prefixes.join(','), extraFirewallIds: [] };
}

async function checkVmSize(ctx: AzureContext, opts: PlacementOptions, location: string): Promise<void> {
  const sizes: string[] = [];
  for await (const size of ctx.s.compute.virtualMachineSizes.list(location)) if (size.name) sizes.push(size.name);
  if (!sizes.some((n) => n.toLowerCase() === opts.vmSize.toLowerCase())) {
    throw new UsageError(`VM size ${opts.vmSize} is not available in ${location}`, {
      field: '--instance-type',
      hint: `choose one of the sizes offered there (\`az vm list-sizes --location ${location}\`), e.g. ${sizes.filter((n) => /^Standard_D\d+s_v5$/.test(n)).slice(0, 3).join(', ') || sizes.slice(0, 3).join(', ')}`,
    });
  }
  // virtualMachineSizes lists sizes the subscription may still be barred from (restrictions).
  const sku = await readSizeSkuIfAllowed(ctx, location, opts.vmSize);
  if (sku) assertSizeUnrestricted(sku, location);
  // Azure has no switch for nested virtualization: a size offers it or not, and a size that
  // does not would fail the bootstrap's features phase only after a whole boot.
  const problem = opts.nestedVirtualization ? nestedVirtualizationProblem(opts.vmSize) : undefined;
  if (problem) {
    const instead = nestedAlternatives(opts.vmSize, sizes);
    throw new UsageError(`--hyperv-isolation needs nested virtualization, and ${problem}`, {
      field: '--instance-type',
      hint: `choose a size that supports nested virtualization${instead.length ? `, e.g. ${instead.join(', ')}` : ' (Dsv5, Ddsv5, Dasv5, Esv5, Fsv2 ...)'}`,
    });
  }
}

