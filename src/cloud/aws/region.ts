import { UsageError } from '../../errors.js';
import type { Placement } from '../../cluster/provider-id.js';

export interface RegionChoice {
  region: string;
  /** Where the region came from, for messages: "--region", "AWS_REGION", "the control plane" ... */
  source: string;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/**
 * --region, then the environment, then where the control plane runs (new nodes belong next to
 * it), then the AWS profile's region. The profile comes last because it is a personal default,
 * while the control plane's region is a fact about this cluster.
 */
export async function resolveRegion(
  option: string | undefined,
  env: NodeJS.ProcessEnv,
  controlPlane: Placement | undefined,
  profileRegion: () => Promise<string | undefined>,
): Promise<RegionChoice> {
  const candidates: Array<[string | undefined, string]> = [
    [option, '--region'],
    [env.AWS_REGION, 'AWS_REGION'],
    [env.AWS_DEFAULT_REGION, 'AWS_DEFAULT_REGION'],
    [controlPlane?.cloud === 'aws' ? controlPlane.region : undefined, 'the control plane'],
  ];
  for (const [value, source] of candidates) {
    if (!value) continue;
    if (!REGION.test(value)) {
      throw new UsageError(`"${value}" (from ${source}) is not an AWS region name`, { field: '--region', hint: 'use a region code such as us-east-1 or eu-west-2' });
    }
    return { region: value, source };
  }
  const fromProfile = await profileRegion().catch(() => undefined);
  if (fromProfile) return { region: fromProfile, source: 'the AWS profile' };
  throw new UsageError('no AWS region: none given and the control plane does not run on AWS', {
    field: '--region',
    hint: 'pass --region (or set AWS_REGION); when the cluster runs on EC2 win-k8s uses its region',
  });
}
