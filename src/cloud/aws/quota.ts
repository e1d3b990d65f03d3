import { DescribeInstanceTypesCommand, DescribeInstancesCommand, DescribeVolumesCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import type { QuotaReport } from '../provider.js';

/** Where AWS says how to ask for more of a quota (EC2 vCPUs and EBS storage alike). */
export const AWS_QUOTA_URL = 'https://docs.aws.amazon.com/servicequotas/latest/userguide/request-quota-increase.html';

/** Service Quotas' code of "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", counted in vCPUs. */
export const STANDARD_VCPU_QUOTA = 'L-1216C47A';

/**
 * Instance types whose vCPUs count against STANDARD_VCPU_QUOTA: families starting with one of
 * those letters and a generation digit (m5, t3, c7gn, r6i ...); Inf, DL, HPC, Im4gn and the
 * accelerated families have quotas of their own.
 */
export function isStandardFamily(type: string): boolean {
  return /^[acdhimrtz]\d/.test(type);
}

/** Service Quotas' code of "Storage for General Purpose SSD (gp3) volumes, in TiB": the root volumes are gp3. */
export const GP3_STORAGE_QUOTA = 'L-7A658B76';

export interface QuotaContext {
  ec2: EC2Client;
  region: string;
}

/**
 * What a pool of `count` instances of `instanceType` with `diskSizeGb` gp3 root volumes would
 * need of two quotas, against what is in use: the On-Demand Standard vCPUs (the vCPUs of the
 * pending and running On-Demand instances of the standard families, DescribeInstances) and the
 * gp3 storage (the gp3 volumes' sizes, DescribeVolumes). A quota Service Quotas does not give
 * (denied, unreachable, unknown): said as unreadable, not thrown; a role for EC2 alone still joins.
 */
export async function readQuota(ctx: QuotaContext, instanceType: string, count: number, diskSizeGb: number): Promise<QuotaReport> {
  const unreadable: string[] = [];
  const limits = await serviceQuotas(ctx.region, [['ec2', STANDARD_VCPU_QUOTA], ['ebs', GP3_STORAGE_QUOTA]]);
  const uses: QuotaReport['uses'] = [];
  const vcpuLimit = limits.get(STANDARD_VCPU_QUOTA);
  if (!isStandardFamily(instanceType)) {
    unreadable.push(`win-k8s reads only the Standard (A, C, D, H, I, M, R, T, Z) vCPU quota, not that of ${instanceType}`);
  } else if (typeof vcpuLimit !== 'number') {
    unreadable.push(`quota not readable: servicequotas:GetServiceQuota ec2 ${STANDARD_VCPU_QUOTA}: ${vcpuLimit}`);
  } else {
    const running = await runningStandardInstances(ctx.ec2);
    const vcpus = await vcpusOf(ctx.ec2, [...new Set([instanceType, ...running.keys()])]);
    let usage = 0;
    for (const [type, n] of running) usage += n * (vcpus.get(type) ?? 0);
    uses.push({ quota: `${STANDARD_VCPU_QUOTA} (Running On-Demand Standard instances)`, limit: vcpuLimit, usage, needed: count * (vcpus.get(instanceType) ?? 0), unit: 'vCPUs' });
  }
  const gp3Limit = limits.get(GP3_STORAGE_QUOTA);
  if (typeof gp3Limit !== 'number') {
    unreadable.push(`quota not readable: servicequotas:GetServiceQuota ebs ${GP3_STORAGE_QUOTA}: ${gp3Limit}`);
  } else {
    // The quota is in TiB; GiB reads better next to --disk-size.
    uses.push({ quota: `${GP3_STORAGE_QUOTA} (gp3 storage)`, limit: Math.round(gp3Limit * 1024), usage: await gp3GiB(ctx.ec2), needed: count * diskSizeGb, unit: 'GiB' });
  }
  return { uses, increaseUrl: AWS_QUOTA_URL, ...(unreadable.length ? { unreadable: unreadable.join('; ') } : {}) };
}

/** Quota code → its applied value, or why it could not be read. */
async function serviceQuotas(region: string, wanted: [service: string, code: string][]): Promise<Map<string, number | string>> {
  // Loaded here: only plan and --dry-run read quotas, and the client costs start-up time.
  const { ServiceQuotasClient, GetServiceQuotaCommand } = await import('@aws-sdk/client-service-quotas');
  // The endpoint comes from the environment (AWS_ENDPOINT_URL_SERVICE_QUOTAS, AWS_ENDPOINT_URL) as
  // the SDK reads it: a custom EC2 endpoint (--endpoint, a VPC endpoint) is not Service Quotas'.
  const client = new ServiceQuotasClient({ region, maxAttempts: 3 });
  const out = new Map<string, number | string>();
  try {
    await Promise.all(
      wanted.map(async ([service, code]) => {
        try {
          const r = await client.send(new GetServiceQuotaCommand({ ServiceCode: service, QuotaCode: code }));
          out.set(code, typeof r.Quota?.Value === 'number' ? r.Quota.Value : 'the answer has no Quota.Value');
        } catch (err) {
          const e = err as { name?: string; message?: string };
          out.set(code, `${e.name ?? 'Error'}: ${e.message ?? String(err)}`);
        }
      }),
    );
  } finally {
    client.destroy();
  }
  return out;
}

/** GiB of the region's gp3 volumes, whatever their state (a volume counts until deleted). */
async function gp3GiB(ec2: EC2Client): Promise<number> {
  let total = 0;
  let token: string | undefined;
  do {
    const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-type', Values: ['gp3'] }], NextToken: token, MaxResults: 500 }));
    for (const v of out.Volumes ?? []) total += v.Size ?? 0;
    token = out.NextToken;
  } while (token);
  return total;
}

/** Instance type → how many pending or running On-Demand instances of a standard family have it. */
async function runningStandardInstances(ec2: EC2Client): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let token: string | undefined;
  do {
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }], NextToken: token, MaxResults: 1000 }));
    for (const r of out.Reservations ?? []) {
      for (const i of r.Instances ?? []) {
        // Spot instances count against the Spot quotas, not this one.
        if (!i.InstanceType || i.InstanceLifecycle === 'spot' || !isStandardFamily(i.InstanceType)) continue;
        counts.set(i.InstanceType, (counts.get(i.InstanceType) ?? 0) + 1);
      }
    }
    token = out.NextToken;
  } while (token);
  return counts;
}

async function vcpusOf(ec2: EC2Client, types: string[]): Promise<Map<string, number>> {
  const vcpus = new Map<string, number>();
  // DescribeInstanceTypes takes at most 100 types a call.
  for (let i = 0; i < types.length; i += 100) {
    const out = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: types.slice(i, i + 100) as _InstanceType[] }));
    for (const t of out.InstanceTypes ?? []) if (t.InstanceType && t.VCpuInfo?.DefaultVCpus) vcpus.set(t.InstanceType, t.VCpuInfo.DefaultVCpus);
  }
  return vcpus;
}
