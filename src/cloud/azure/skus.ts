import type { ResourceSku } from '@azure/arm-compute';
import { UsageError } from '../../errors.js';
import { azureStatus } from './errors.js';
import type { AzureContext } from './session.js';

/** What the Resource SKUs API says of one VM size in one location. */
export interface SizeSku {
  name: string;
  /** The quota family its vCPUs count against (standardDSv5Family ...). */
  family: string | undefined;
  vCpus: number | undefined;
  /** Zones the size is offered in there; empty where the location has none. */
  zones: string[];
  restrictions: NonNullable<ResourceSku['restrictions']>;
}

/**
 * Reads by session, so plan's placement and quota list the location's SKUs once: the list is every
 * SKU of the location, pages of it. A failed read is dropped, so a later call asks again.
 */
const read = new WeakMap<AzureContext['s'], Map<string, Promise<SizeSku | undefined>>>();

/**
 * The VM size's entry in the Resource SKUs API for the location, or undefined when the API
 * does not list it. The list is filtered by location, the only filter the API takes.
 */
export function readSizeSku(ctx: AzureContext, location: string, vmSize: string): Promise<SizeSku | undefined> {
  let bySession = read.get(ctx.s);
  if (!bySession) read.set(ctx.s, (bySession = new Map()));
  const key = `${location.toLowerCase()}/${vmSize.toLowerCase()}`;
  let sku = bySession.get(key);
  if (!sku) {
    sku = listSizeSku(ctx, location, vmSize);
    bySession.set(key, sku);
    sku.catch(() => bySession.delete(key));
  }
  return sku;
}

async function listSizeSku(ctx: AzureContext, location: string, vmSize: string): Promise<SizeSku | undefined> {
  for await (const sku of ctx.s.compute.resourceSkus.list({ filter: `location eq '${location}'` })) {
    if (sku.resourceType !== 'virtualMachines' || sku.name?.toLowerCase() !== vmSize.toLowerCase()) continue;
    const cores = Number(sku.capabilities?.find((c) => c.name === 'vCPUs')?.value);
    const info = sku.locationInfo?.find((l) => l.location?.toLowerCase() === location.toLowerCase());
    return { name: sku.name, family: sku.family, vCpus: Number.isFinite(cores) && cores > 0 ? cores : undefined, zones: info?.zones ?? [], restrictions: sku.restrictions ?? [] };
  }
  return undefined;
}

/**
 * Reads the size's SKU, or undefined when the caller may not read SKUs: the list needs only
 * Microsoft.Compute/skus/read, but a role without it must not stop a join that would work.
 */
export async function readSizeSkuIfAllowed(ctx: AzureContext, location: string, vmSize: string): Promise<SizeSku | undefined> {
  try {
    return await readSizeSku(ctx, location, vmSize);
  } catch (err) {
    if (azureStatus(err) !== 403) throw err;
    ctx.sink({ level: 'debug', message: `cannot read the Resource SKUs of ${location}: ${String((err as Error).message)}` });
    return undefined;
  }
}

const REASON: Record<string, string> = {
  NotAvailableForSubscription: 'not available to this subscription there (NotAvailableForSubscription)',
  QuotaId: 'not offered to this subscription\'s offer type (QuotaId)',
};

/**
 * Refuses a size the subscription may not create in the location: a Location restriction
 * (win-k8s does not pin Azure VMs to a zone, so a restriction to some zones leaves the region
 * open). ARM would accept the NIC and refuse the VM only then, with SkuNotAvailable.
 */
export function assertSizeUnrestricted(sku: SizeSku, location: string): void {
  const here = sku.restrictions.find(
    (r) => r.type === 'Location' && (r.values ?? r.restrictionInfo?.locations ?? []).some((l) => l.toLowerCase() === location.toLowerCase()),
  );
  if (!here) return;
  const why = REASON[here.reasonCode ?? ''] ?? `restricted there (${here.reasonCode ?? 'no reason given'})`;
  throw new UsageError(`VM size ${sku.name} is ${why} in ${location}`, {
    field: '--instance-type',
    hint: `choose another size (\`az vm list-skus --location ${location} --size ${sku.name.replace(/_v\d+$/, '')} --output table\` shows the restrictions), or ask for access: https://aka.ms/azureskunotavailable`,
  });
}
