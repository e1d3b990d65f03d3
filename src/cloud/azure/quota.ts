import type { QuotaReport, QuotaUse } from '../provider.js';
import { azureMessage, azureStatus } from './errors.js';
import type { AzureContext } from './session.js';
import { readSizeSku } from './skus.js';

/** Where Azure says how to ask for more vCPUs (per family and per region). */
export const AZURE_QUOTA_URL = 'https://learn.microsoft.com/azure/quotas/per-vm-quota-requests';

/**
 * The vCPU quotas a pool of `count` VMs of `vmSize` counts against in `location`: the regional
 * total ("cores") and the size's family (from its Resource SKU), with what the subscription
 * uses of each now (Compute usages of the location). Unreadable (a role without
 * Microsoft.Compute/locations/usages/read, a size the SKU list does not have): said, not thrown.
 */
export async function readQuota(ctx: AzureContext, location: string, vmSize: string, count: number): Promise<QuotaReport> {
  try {
    const sku = await readSizeSku(ctx, location, vmSize);
    if (!sku?.vCpus) return { uses: [], increaseUrl: AZURE_QUOTA_URL, unreadable: `the Resource SKUs API does not list the vCPUs of ${vmSize} in ${location}` };
    const usages = new Map<string, { currentValue: number; limit: number }>();
    for await (const u of ctx.s.compute.usage.list(location)) usages.set(u.name.value?.toLowerCase() ?? '', u);
    const needed = count * sku.vCpus;
    const uses: QuotaUse[] = [];
    const missing: string[] = [];
    for (const name of ['cores', sku.family]) {
      if (!name) continue;
      const u = usages.get(name.toLowerCase());
      if (u) uses.push({ quota: name, limit: u.limit, usage: u.currentValue, needed, unit: 'vCPUs' });
      else missing.push(name);
    }
    return { uses, increaseUrl: AZURE_QUOTA_URL, ...(missing.length ? { unreadable: `Azure lists no usage ${missing.join(', ')} in ${location}` } : {}) };
  } catch (err) {
    if (azureStatus(err) !== 403) throw err;
    return { uses: [], increaseUrl: AZURE_QUOTA_URL, unreadable: `quota not readable: ${azureMessage(err)}` };
  }
}
