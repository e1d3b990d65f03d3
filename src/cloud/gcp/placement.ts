import { OperationError, UsageError } from '../../errors.js';
import type { Placement } from '../../cluster/provider-id.js';
import type { ResolvedPlacement } from '../provider.js';
import type { protos } from './clients.js';
import { isNotFound } from './errors.js';
import { parseSubnetwork } from './names.js';
import { HYPERV_CAVEAT, nestedAlternatives, nestedVirtualizationProblem } from './nested.js';
import type { GceContext, Scope } from './operations.js';

export const DEFAULT_MACHINE_TYPE = 'n2-standard-4';

type Instance = protos.google.cloud.compute.v1.IInstance;
type Subnetwork = protos.google.cloud.compute.v1.ISubnetwork;
type SubnetRef = { project: string; region: string; name: string };

export interface PlacementOptions {
  machineType: string;
  /** --subnet-id; else the control plane's subnetwork. */
  subnetwork?: string | undefined;
  nestedVirtualization?: boolean | undefined;
  allowUnsupported?: boolean | undefined;
}

function sameSubnet(a: SubnetRef, b: SubnetRef): boolean {
  return a.project === b.project && a.region === b.region && a.name === b.name;
}

/** Where the node ports are opened from: the nodes' subnetwork and the control plane's. */
export function nodePortRanges(subnetRange: string, cpSubnetwork: Subnetwork | undefined): string[] {
  // Secondary ranges hold alias IPs (pods, when the CNI uses them) that may call the kubelet too.
  return [
    ...new Set([
      subnetRange,
      ...(cpSubnetwork?.ipCidrRange ? [cpSubnetwork.ipCidrRange] : []),
      ...(cpSubnetwork?.secondaryIpRanges ?? []).map((r) => r.ipCidrRange ?? '').filter(Boolean),
    ]),
  ];
}

export async function resolvePlacement(ctx: GceContext, s: Scope, o: PlacementOptions, cp: Extract<Placement, { cloud: 'gcp' }> | undefined): Promise<ResolvedPlacement> {
  checkNestedVirtualization(s, o);
  let subnet: SubnetRef;
  let cpSubnet: SubnetRef | undefined;
  if (o.subnetwork) {
    subnet = parseSubnetwork(o.subnetwork, s.project, s.region);
    // The control plane and the Linux nodes beside it must still reach these nodes' kubelet and VXLAN port.
    if (cp) cpSubnet = await controlPlaneSubnet(ctx, cp, false);
  } else if (cp) {
    subnet = (await controlPlaneSubnet(ctx, cp, true))!;
    cpSubnet = subnet;
  } else {
    throw new UsageError('no subnetwork given and the control plane is not on Compute Engine', { field: '--subnet-id', hint: 'give projects/<project>/regions/<region>/subnetworks/<name>' });
  }
  if (subnet.region !== s.region) {
    throw new UsageError(`subnetwork ${subnet.name} is in ${subnet.region}, but zone ${s.zone} is in ${s.region}`, { field: '--zone', hint: `choose a zone in ${subnet.region}` });
  }
  let subnetwork: Subnetwork;
  try {
    subnetwork = await getSubnetwork(ctx, subnet);
  } catch (err) {
    if (isNotFound(err)) throw new UsageError(`no subnetwork ${subnet.name} in ${subnet.project}/${subnet.region}`, { field: '--subnet-id', cause: err, hint: '`gcloud compute networks subnets list` shows the subnetworks' });
    throw err;
  }
  if (!subnetwork.ipCidrRange || !subnetwork.network || !subnetwork.selfLink) throw new OperationError(`subnetwork ${subnet.name} has no range or network`);
  let cpSubnetwork: Subnetwork | undefined;
  if (cpSubnet && sameSubnet(cpSubnet, subnet)) {
    cpSubnetwork = subnetwork;
  } else if (cpSubnet) {
    try {
      cpSubnetwork = await getSubnetwork(ctx, cpSubnet);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      ctx.sink({ level: 'warn', message: `the control plane's subnetwork ${cpSubnet.name} was not found: node ports are opened to ${subnetwork.ipCidrRange} only` });
    }
  }
  const ranges = nodePortRanges(subnetwork.ipCidrRange, cpSubnetwork);
  await checkMachineType(ctx, s, o.machineType);
  if (o.nestedVirtualization) ctx.sink({ level: 'warn', message: `${HYPERV_CAVEAT}. Nested virtualization is turned on for ${o.machineType}.` });
  ctx.sink({ level: 'debug', message: `placement: ${s.project}/${s.zone}, subnetwork ${subnet.name} (${subnetwork.ipCidrRange}); node ports open to ${ranges.join(', ')}` });
  // A comma-separated list, as the Azure provider passes a VNet's several prefixes.
  return { region: s.region, zone: s.zone, networkId: subnetwork.network, subnetId: subnetwork.selfLink, networkCidr: ranges.join(','), extraFirewallIds: [] };
}

async function getSubnetwork(ctx: GceContext, ref: SubnetRef): Promise<Subnetwork> {
  const [subnetwork] = await ctx.call('compute.subnetworks.get', (c) => c.subnetworks.get({ project: ref.project, region: ref.region, subnetwork: ref.name }));
  return subnetwork;
}

/**
 * The control plane instance's subnetwork. Without --subnet-id it is where the nodes go and
 * must exist; with it, it only widens the firewall rule, so its absence is a warning.
 */
async function controlPlaneSubnet(ctx: GceContext, cp: Extract<Placement, { cloud: 'gcp' }>, required: boolean): Promise<SubnetRef | undefined> {
  let instance: Instance;
  try {
    [instance] = await ctx.call('compute.instances.get', (c) => c.instances.get({ project: cp.project, zone: cp.zone, instance: cp.instance }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    if (!required) {
      ctx.sink({ level: 'warn', message: `the control plane instance ${cp.instance} (from providerID ${cp.providerId}) does not exist in ${cp.project}/${cp.zone}: node ports are opened to the --subnet-id subnetwork only` });
      return undefined;
    }
    throw new OperationError(`the control plane instance ${cp.instance} (from providerID ${cp.providerId}) does not exist in ${cp.project}/${cp.zone}`, {
      cause: err,
      hint: 'give the subnetwork with --subnet-id',
    });
  }
  const url = instance.networkInterfaces?.[0]?.subnetwork;
  if (!url) {
    if (!required) return undefined;
    throw new OperationError(`the control plane instance ${cp.instance} has no subnetwork`, { hint: 'give the subnetwork with --subnet-id' });
  }
  return parseSubnetwork(url, cp.project, cp.region);
}

/** Refused before anything exists: on such a machine the Hyper-V role would fail only after a whole boot. */
export function checkNestedVirtualization(s: Scope, o: PlacementOptions): void {
  if (!o.nestedVirtualization) return;
  if (!o.allowUnsupported) {
    // Google's word, not a guess: a node that would fail after a whole boot, or work without
    // support, is the user's call to make knowingly, as with the compatibility matrix.
    throw new UsageError(`Hyper-V isolation is not supported on Compute Engine: ${HYPERV_CAVEAT}`, {
      field: '--hyperv-isolation',
      hint: 'drop --hyperv-isolation (process isolation needs no Hyper-V), use AWS bare metal or an Azure size with nested virtualization, or pass --allow-unsupported to try it on a series that nests',
    });
  }
  const problem = nestedVirtualizationProblem(o.machineType);
  if (problem) {
    throw new UsageError(problem, {
      field: '--instance-type',
      hint: `for example ${nestedAlternatives(o.machineType).join(', ')} (\`gcloud compute machine-types list --zones ${s.zone}\` lists what the zone offers), or drop --hyperv-isolation`,
    });
  }
}

type MachineType = protos.google.cloud.compute.v1.IMachineType;

/** Reads by context, so plan's placement and quota get the machine type once; a failed read is dropped. */
const machineTypes = new WeakMap<GceContext, Map<string, Promise<MachineType>>>();

/** The machine type in the zone (compute.machineTypes.get); its errors are the API's, as thrown. */
export function readMachineType(ctx: GceContext, s: Scope, machineType: string): Promise<MachineType> {
  let byCtx = machineTypes.get(ctx);
  if (!byCtx) machineTypes.set(ctx, (byCtx = new Map()));
  const key = `${s.project}/${s.zone}/${machineType}`;
  let read = byCtx.get(key);
  if (!read) {
    read = ctx.call('compute.machineTypes.get', (c) => c.machineTypes.get({ project: s.project, zone: s.zone, machineType })).then(([t]) => t);
    byCtx.set(key, read);
    read.catch(() => byCtx.delete(key));
  }
  return read;
}

async function checkMachineType(ctx: GceContext, s: Scope, machineType: string): Promise<void> {
  try {
    await readMachineType(ctx, s, machineType);
  } catch (err) {
    if (isNotFound(err)) {
      throw new UsageError(`machine type ${machineType} is not offered in ${s.zone}`, {
        field: '--instance-type',
        cause: err,
        hint: `\`gcloud compute machine-types list --zones ${s.zone}\` lists them; ${DEFAULT_MACHINE_TYPE} is the default`,
      });
    }
    throw err;
  }
}
