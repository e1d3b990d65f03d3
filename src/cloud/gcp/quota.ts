import type { QuotaReport, QuotaUse } from '../provider.js';
import { GRPC, gcpCode, gcpMessage } from './errors.js';
import type { GceContext, Scope } from './operations.js';
import { readMachineType } from './placement.js';

/** Where Google says how to see and raise Compute Engine quotas. */
export const GCP_QUOTA_URL = 'https://cloud.google.com/compute/resource-usage';

export interface QuotaOptions {
  machineType: string;
  count: number;
  /** The boot disk each VM gets (the larger of --disk-size and the image's). */
  diskSizeGb: number;
  diskType: string;
  externalIp: boolean;
}

/**
 * The regional quotas (regions.get) a pool counts against: the vCPUs of its machine series
 * (N2_CPUS ...) where the region lists a quota of that series, else CPUS, which E2, N1 and the
 * other general-purpose series share; the boot disks (pd-standard in DISKS_TOTAL_GB, the SSD-
 * backed types in SSD_TOTAL_GB); one external address per VM when they get one. A role that may
 * not read the region (compute.regions.get) leaves it unread: said, not thrown.
 */
export async function readQuota(ctx: GceContext, s: Scope, o: QuotaOptions): Promise<QuotaReport> {
  try {
    const machineType = await readMachineType(ctx, s, o.machineType);
    const [region] = await ctx.call('compute.regions.get', (c) => c.regions.get({ project: s.project, region: s.region }));
    const quotas = new Map((region.quotas ?? []).filter((q) => q.metric).map((q) => [q.metric!, q]));
    const series = (o.machineType.split('-')[0] ?? '').toUpperCase();
    const cpuMetric = series !== 'E2' && series !== 'N1' && quotas.has(`${series}_CPUS`) ? `${series}_CPUS` : 'CPUS';
    const wanted: [string, number, string][] = [
      [cpuMetric, o.count * (machineType.guestCpus ?? 0), 'vCPUs'],
      [o.diskType === 'pd-standard' ? 'DISKS_TOTAL_GB' : 'SSD_TOTAL_GB', o.count * o.diskSizeGb, 'GB'],
      ...(o.externalIp ? [['IN_USE_ADDRESSES', o.count, 'addresses'] as [string, number, string]] : []),
    ];
    const uses: QuotaUse[] = [];
    const missing: string[] = [];
    for (const [metric, needed, unit] of wanted) {
      const q = quotas.get(metric);
      if (q?.limit === undefined || q.limit === null) missing.push(metric);
      else uses.push({ quota: metric, limit: Number(q.limit), usage: Number(q.usage ?? 0), needed, unit });
    }
    return { uses, increaseUrl: GCP_QUOTA_URL, ...(missing.length ? { unreadable: `region ${s.region} lists no quota ${missing.join(', ')}` } : {}) };
  } catch (err) {
    if (gcpCode(err) !== GRPC.permissionDenied) throw err;
    return { uses: [], increaseUrl: GCP_QUOTA_URL, unreadable: `quota not readable: ${gcpMessage(err)}` };
  }
}
