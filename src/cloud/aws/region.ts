import { UsageError } from '../../errors.js';
import type { Placement } from '../../cluster/provider-id.js';

export interface RegionChoice {
  region: string;
  /** Where the region came from, for messages: "--region", "AWS_REGION", "the control plane" ... */
  source: string;
  /** False for a name that only fits a partition's pattern: perhaps a region newer than this table. */
  known: boolean;
}

/**
 * AWS's partitions as the SDK's endpoint rules define them (its partitions data): a region
 * belongs to the partition whose list names it, or else whose pattern it fits. A name that fits
 * no pattern has no endpoint anywhere; the SDK would send to a host that does not exist and retry
 * for half a minute. The lists name the regions to offer instead; a region opened after them
 * still passes by its pattern.
 */
export const PARTITIONS: ReadonlyArray<{ id: string; pattern: RegExp; regions: readonly string[] }> = [
  {
    id: 'aws',
    pattern: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
    regions: [
      'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
      'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
      'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2',
      'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1', 'me-west-1', 'mx-central-1', 'sa-east-1', 'sa-west-1', 'us-east-1',
      'us-east-2', 'us-west-1', 'us-west-2',
    ],
  },
  { id: 'aws-cn', pattern: /^cn-\w+-\d+$/, regions: ['cn-north-1', 'cn-northwest-1'] },
  { id: 'aws-us-gov', pattern: /^us-gov-\w+-\d+$/, regions: ['us-gov-east-1', 'us-gov-west-1'] },
  { id: 'aws-eusc', pattern: /^eusc-(de)-\w+-\d+$/, regions: ['eusc-de-east-1'] },
  { id: 'aws-iso', pattern: /^us-iso-\w+-\d+$/, regions: ['us-iso-east-1', 'us-iso-west-1'] },
  { id: 'aws-iso-b', pattern: /^us-isob-\w+-\d+$/, regions: ['us-isob-east-1', 'us-isob-west-1'] },
  { id: 'aws-iso-e', pattern: /^eu-isoe-\w+-\d+$/, regions: ['eu-isoe-west-1'] },
  { id: 'aws-iso-f', pattern: /^us-isof-\w+-\d+$/, regions: ['us-isof-east-1', 'us-isof-south-1'] },
];

/** Whether a name is a region the table lists, one that only fits a partition's pattern, or neither. */
export function regionStatus(name: string): 'known' | 'pattern' | 'invalid' {
  if (PARTITIONS.some((p) => p.regions.includes(name))) return 'known';
  // The SDK's patterns use \w, which takes upper case and "_": region names never have them.
  if (/^[a-z0-9-]+$/.test(name) && PARTITIONS.some((p) => p.pattern.test(name))) return 'pattern';
  return 'invalid';
}

function regionsHint(): string {
  const [commercial, ...others] = PARTITIONS;
  return `AWS regions: ${commercial!.regions.join(', ')}; China: ${others[0]!.regions.join(', ')}; GovCloud: ${others[1]!.regions.join(', ')}; European Sovereign Cloud: ${others[2]!.regions.join(', ')}`;
}

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
    if (value) return checked(value, source);
  }
  const fromProfile = await profileRegion().catch(() => undefined);
  if (fromProfile) return checked(fromProfile, 'the AWS profile');
  throw new UsageError('no AWS region: none given and the control plane does not run on AWS', {
    field: '--region',
    hint: 'pass --region (or set AWS_REGION); when the cluster runs on EC2 win-k8s uses its region',
  });
}

function checked(region: string, source: string): RegionChoice {
  const status = regionStatus(region);
  if (status === 'invalid') {
    throw new UsageError(`"${region}" (from ${source}) is not an AWS region: it is in no AWS partition`, { field: '--region', hint: regionsHint() });
  }
  return { region, source, known: status === 'known' };
}
