import { DescribeInstanceTypesCommand, DescribeInstancesCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import type { QuotaReport } from '../provider.js';

/** Where AWS says how to ask for more EC2 vCPUs. */
export const AWS_QUOTA_URL = 'https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html';

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

export interface QuotaContext {
  ec2: EC2Client;
  region: string;
}

/**
 * The On-Demand Standard vCPU quota (Service Quotas GetServiceQuota) against the vCPUs of the
 * pending and running On-Demand instances of the standard families (DescribeInstances): what a
 * pool of `count` instances of `instanceType` would need of it. Service Quotas denied, or not
 * reachable: said as unreadable, not thrown (a role for EC2 alone still joins).
 */
export async function readQuota(ctx: QuotaContext, instanceType: string, count: number): Promise<QuotaReport> {
  if (!isStandardFamily(instanceType)) {
    return { uses: [], increaseUrl: AWS_QUOTA_URL, unreadable: `win-k8s reads only the Standard (A, C, D, H, I, M, R, T, Z) vCPU quota, not that of ${instanceType}` };
  }
  let limit: number;
  try {
    limit = await standardVcpuLimit(ctx.region);
  } catch (err) {
    const e = err as { name?: string; message?: string };
    return { uses: [], increaseUrl: AWS_QUOTA_URL, unreadable: `quota not readable: servicequotas:GetServiceQuota ${STANDARD_VCPU_QUOTA}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}` };
  }
  const types = new Map<string, number>();
  for (const [type, n] of await runningStandardInstances(ctx.ec2)) types.set(type, n);
  const vcpus = await vcpusOf(ctx.ec2, [...new Set([instanceType, ...types.keys()])]);
  let usage = 0;
  for (const [type, n] of types) usage += n * (vcpus.get(type) ?? 0);
  return { uses: [{ quota: `${STANDARD_VCPU_QUOTA} (Running On-Demand Standard instances)`, limit, usage, needed: count * (vcpus.get(instanceType) ?? 0), unit: 'vCPUs' }], increaseUrl: AWS_QUOTA_URL };
}

async function standardVcpuLimit(region: string): Promise<number> {
  // Loaded here: only plan and --dry-run read quotas, and the client costs start-up time.
  const { ServiceQuotasClient, GetServiceQuotaCommand } = await import('@aws-sdk/client-service-quotas');
  // The endpoint comes from the environment (AWS_ENDPOINT_URL_SERVICE_QUOTAS, AWS_ENDPOINT_URL) as
  // the SDK reads it: a custom EC2 endpoint (--endpoint, a VPC endpoint) is not Service Quotas'.
  const client = new ServiceQuotasClient({ region, maxAttempts: 3 });
  try {
    const out = await client.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: STANDARD_VCPU_QUOTA }));
    const value = out.Quota?.Value;
    if (typeof value !== 'number') throw Object.assign(new Error('the answer has no Quota.Value'), { name: 'NoValue' });
    return value;
  } finally {
    client.destroy();
  }
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
