import type { Check } from '../cluster/preflight.js';
import type { Placement } from '../cluster/provider-id.js';
import type { CloudProvider, QuotaReport } from '../cloud/provider.js';
import type { ConfigFile } from '../config/schema.js';
import { ExitCode, isWinK8sError } from '../errors.js';
import type { WindowsVersion } from '../compat/windows.js';
import type { PlanDocument } from './plan-document.js';

/** What the cloud said about where the nodes would go and what they would run: the plan document's cloud section. */
export type CloudFacts = NonNullable<PlanDocument['cloud']>;

export interface CloudFactsResult {
  facts: CloudFacts | null;
  checks: Check[];
}

/**
 * Asks the cloud, through the same read paths join takes before it creates anything (placement,
 * then the image), whether the nodes could be made: credentials, region, network, instance type
 * in that zone, image. Reads only: the firewall and VMs are never touched here.
 *
 * A problem the user fixes with a flag becomes a failed check naming that flag, so plan shows
 * every problem at once and ends "not joinable". Missing or refused credentials fail the
 * cloud.access check with the cloud's hint, which the commands exit 3 on, as join does.
 */
export async function readCloudFacts(provider: CloudProvider, config: ConfigFile, controlPlane: Placement | undefined, windowsVersion: WindowsVersion): Promise<CloudFactsResult> {
  const checks: Check[] = [];
  const placement = await provider.resolvePlacement({ controlPlane }).catch((err: unknown) => {
    checks.push(finding(err, 'cloud.placement', provider.cloud, regionFlag(provider.cloud, config)));
    return undefined;
  });
  // GCP places by zone (--zone, else the control plane's): a --region elsewhere would be ignored.
  if (placement && provider.cloud === 'gcp' && config.pool.region && config.pool.region !== placement.region) {
    checks.push({
      id: 'cloud.region',
      status: 'fail',
      message: `gcp: --region: ${config.pool.region} is not the region of zone ${placement.zone ?? '?'} (${placement.region}), where the nodes would go`,
      hint: `on GCP the zone decides: give --zone in ${config.pool.region}, or leave --region out`,
    });
  } else if (placement) {
    checks.push({
      id: 'cloud.placement',
      status: 'pass',
      message: `${provider.cloud}: region ${placement.region}${placement.zone ? `, zone ${placement.zone}` : ''}, subnet ${placement.subnetId} in ${placement.networkId} (${placement.networkCidr}); instance type ${config.pool.instanceType ?? '(the default)'} offered there`,
    });
  }
  // A region the cloud refuses, or credentials it refuses, fail every call alike: one finding says it.
  const regionRefused = checks.some((c) => c.id === 'cloud.region' || c.id === CLOUD_ACCESS_CHECK);
  const image = regionRefused
    ? undefined
    : await provider.resolveImage({ windowsVersion, edition: config.pool.edition, image: config.pool.image }).catch((err: unknown) => {
        checks.push(finding(err, 'cloud.image', provider.cloud));
        return undefined;
      });
  if (image) checks.push({ id: 'cloud.image', status: 'pass', message: `image ${image.id} (${image.name})` });
  // Quota where the cloud tells: only once the placement (region, instance type) is known and the
  // cloud let us in; a size it refused has no vCPU count to multiply.
  const placementRefused = checks.some((c) => c.status === 'fail' && (c.id === 'cloud.placement' || c.id === 'cloud.instance-type'));
  if (placement && provider.readQuota && !regionRefused && !placementRefused) {
    const quota = await provider.readQuota({ placement, count: config.pool.count }).catch((err: unknown) => {
      checks.push(finding(err, 'cloud.quota', provider.cloud));
      return undefined;
    });
    if (quota) checks.push(judgeQuota(provider.cloud, quota));
  }
  return {
    facts: placement
      ? {
          region: placement.region,
          zone: placement.zone ?? null,
          network: placement.networkId,
          subnet: placement.subnetId,
          networkCidr: placement.networkCidr,
          image: image ? { id: image.id, name: image.name } : null,
        }
      : null,
    checks,
  };
}

/**
 * Fails when the pool would not fit in a quota (with the numbers and where to ask for more),
 * passes with the numbers, warns when the cloud did not tell: join would then learn it from the
 * create call, after the firewall exists.
 */
export function judgeQuota(cloud: string, report: QuotaReport): Check {
  const line = (u: QuotaReport['uses'][number]) => `${u.quota}: ${u.needed} needed, ${Math.max(0, u.limit - u.usage)} free (${u.usage} of ${u.limit} ${u.unit} in use)`;
  const over = report.uses.filter((u) => u.usage + u.needed > u.limit);
  if (over.length > 0) {
    return {
      id: 'cloud.quota',
      status: 'fail',
      message: `${cloud}: the pool does not fit in the quota: ${over.map(line).join('; ')}`,
      hint: `lower --count, choose a smaller --instance-type, or request more quota: ${report.increaseUrl}`,
    };
  }
  const numbers = report.uses.map(line).join('; ');
  if (report.unreadable) {
    return { id: 'cloud.quota', status: 'warn', message: `${cloud}: ${report.unreadable}${numbers ? `; read: ${numbers}` : ''}`, hint: `join finds out when it creates the VMs; quotas: ${report.increaseUrl}` };
  }
  return { id: 'cloud.quota', status: 'pass', message: `${cloud}: the pool fits in the quota: ${numbers}` };
}

/** A failed check of this id is the environment (credentials, permissions, reachability): exit 3. */
export const CLOUD_ACCESS_CHECK = 'cloud.access';

/** The check ids by the flag that fixes them: a finding is filed under what the user changes. */
const FIELD_CHECK: Record<string, string> = {
  '--region': 'cloud.region',
  '--instance-type': 'cloud.instance-type',
  '--image': 'cloud.image',
  '--windows-version': 'cloud.image',
  '--edition': 'cloud.image',
  '--subnet-id': 'cloud.placement',
  '--location': 'cloud.region',
  '--zone': 'cloud.region',
};

/** --region stands for Azure's location when --location is not given: a finding names the flag typed. */
function regionFlag(cloud: string, config: ConfigFile): Record<string, string> {
  return cloud === 'azure' && config.pool.region && !config.azure.location ? { '--location': '--region' } : {};
}

function finding(err: unknown, fallbackId: string, cloud: string, renamed: Record<string, string> = {}): Check {
  if (!isWinK8sError(err) || err.exitCode === ExitCode.interrupted) throw err;
  // Credentials, permissions, an unreachable API: the environment, not a choice of flags. The
  // plan still shows what the cluster said; the command exits 3 on it (CLOUD_ACCESS_CHECK).
  if (err.exitCode === ExitCode.environment) return { id: CLOUD_ACCESS_CHECK, status: 'fail', message: `${cloud}: ${err.message}`, ...(err.hint ? { hint: err.hint } : {}) };
  const given = 'field' in err && typeof err.field === 'string' ? err.field : undefined;
  const field = given && renamed[given] ? renamed[given] : given;
  if (given && field !== given && err.message.startsWith(`${given}: `)) {
    const message = `${field}: ${err.message.slice(given.length + 2)}`;
    return { id: FIELD_CHECK[given] ?? fallbackId, status: 'fail', message: `${cloud}: ${message}`, hint: `${field} is ${cloud === 'azure' ? 'the Azure location' : 'the region'} here${err.hint ? `; ${err.hint}` : ''}` };
  }
  const id = (field && FIELD_CHECK[field]) ?? fallbackId;
  const hint = err.hint ?? (field ? `change ${field}` : undefined);
  return { id, status: 'fail', message: `${cloud}: ${err.message}`, ...(hint ? { hint: field && !hint.includes(field) ? `${field}: ${hint}` : hint } : {}) };
}
