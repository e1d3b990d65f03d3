import { DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { OperationError, UsageError } from '../../errors.js';
import type { EventSink } from '../../output/output.js';
import { WINDOWS_RELEASES } from '../../compat/windows.js';
import type { ImageRequest, ResolvedImage } from '../provider.js';
import { guard, hasAwsCode } from './errors.js';

/** What createVms needs to know about an image beyond ResolvedImage. */
export interface ImageDetails extends ResolvedImage {
  /** The block device the root volume is mapped on; the disk size override must use it. */
  rootDeviceName: string;
  /** The size of the image's root snapshot: the volume cannot be smaller. */
  rootSnapshotGb: number | undefined;
}

export const WINDOWS_PARAMETER_PREFIX = '/aws/service/ami-windows-latest/';

interface Candidate {
  parameter: string;
  containers: boolean;
}

/**
 * AWS's public parameter for its Windows AMI: the plain Base image of the edition. Not
 * ContainersLatest: those got no new versions after April 2023 (their lifecycle ended, so no
 * security updates) and carry Docker EE, which conflicts with the containerd win-k8s installs.
 * The bootstrap enables the Containers feature and renames the computer, so it reboots anyway.
 */
export function imageCandidates(version: ImageRequest['windowsVersion'], edition: ImageRequest['edition']): Candidate[] {
  const base = `${WINDOWS_PARAMETER_PREFIX}${WINDOWS_RELEASES[version].images.aws.parameterStem}-${edition === 'full' ? 'Full' : 'Core'}`;
  return [{ parameter: `${base}-Base`, containers: false }];
}

export interface ImageLookup {
  ec2: EC2Client;
  ssm: SSMClient;
  region: string;
  sink: EventSink;
}

export async function resolveImage(ctx: ImageLookup, req: ImageRequest): Promise<ImageDetails> {
  return req.image ? explicitImage(ctx, req) : latestImage(ctx, req);
}

async function latestImage(ctx: ImageLookup, req: ImageRequest): Promise<ImageDetails> {
  const candidates = imageCandidates(req.windowsVersion, req.edition);
  const out = await guard({ action: 'ssm:GetParameters', region: ctx.region }, () =>
    ctx.ssm.send(new GetParametersCommand({ Names: candidates.map((c) => c.parameter) })),
  );
  const values = new Map((out.Parameters ?? []).map((p) => [p.Name, p.Value]));
  const chosen = candidates.find((c) => values.get(c.parameter));
  if (!chosen) {
    throw new OperationError(`AWS publishes no Windows Server ${req.windowsVersion} ${req.edition} AMI in ${ctx.region}`, {
      hint: `choose another --windows-version or --edition, or give an AMI with --image (looked for ${candidates.map((c) => c.parameter).join(', ')})`,
    });
  }
  const amiId = values.get(chosen.parameter)!;
  const image = await describeImage(ctx, amiId);
  if (!image) {
    // A parameter can name an AMI that was deprecated and deregistered since: say so, and how
    // to go on, instead of failing on an image that is not there.
    throw new OperationError(`${chosen.parameter} names ${amiId}, which DescribeImages does not show in ${ctx.region}: the image was deregistered (or is being replaced)`, {
      hint: `retry in a few minutes (AWS may be publishing a new image), pick another --edition, or give a Windows Server ${req.windowsVersion} AMI with --image (\`aws ec2 describe-images --owners amazon --filters Name=name,Values=Windows_Server-${req.windowsVersion}-English-*-Base-*\`)`,
    });
  }
  if (!isWindows(image)) {
    throw new OperationError(`${chosen.parameter} points at ${amiId} (${image.Name ?? 'no name'}), which is not a Windows image`, { hint: 'give a Windows Server AMI with --image' });
  }
  const details = toDetails(image, chosen.containers);
  ctx.sink({
    level: 'info',
    message: `image ${details.name} (${details.id})${details.containersPreinstalled ? ', Containers feature preinstalled' : ''}`,
  });
  return details;
}

async function explicitImage(ctx: ImageLookup, req: ImageRequest): Promise<ImageDetails> {
  const id = req.image!;
  if (!/^ami-[0-9a-z]{8,17}$/.test(id)) {
    throw new UsageError(`"${id}" is not an AMI id`, { field: '--image', hint: 'on AWS, --image takes an AMI id such as ami-0123456789abcdef0' });
  }
  const image = await describeImage(ctx, id);
  if (!image) {
    throw new UsageError(`AMI ${id} does not exist in ${ctx.region} or is not shared with this account`, {
      field: '--image',
      hint: 'AMIs are regional: copy it to this region or pick one with `aws ec2 describe-images --owners amazon --filters Name=platform,Values=windows`',
    });
  }
  if (!isWindows(image)) {
    throw new UsageError(`AMI ${id} (${image.Name ?? 'no name'}) is not a Windows image (platform ${image.PlatformDetails ?? image.Platform ?? 'Linux/UNIX'})`, {
      field: '--image',
      hint: 'give a Windows Server AMI, or leave --image out to use the latest Windows Server AMI from AWS',
    });
  }
  if (image.State && image.State !== 'available') {
    throw new UsageError(`AMI ${id} is ${image.State}, not available`, { field: '--image', hint: 'wait until it is available or give another AMI' });
  }
  const version = /Windows_Server-(\d{4})-/.exec(image.Name ?? '')?.[1];
  if (version && version !== req.windowsVersion) {
    throw new UsageError(`AMI ${id} (${image.Name}) is Windows Server ${version}, but the pool asks for ${req.windowsVersion}`, {
      field: '--image',
      hint: `pass --windows-version ${version}, or an AMI of Windows Server ${req.windowsVersion}: the bootstrap and container images must match the OS build`,
    });
  }
  if (!version) {
    ctx.sink({ level: 'debug', message: `cannot tell the Windows Server version of ${id} from its name; trusting --windows-version ${req.windowsVersion}` });
  }
  const details = toDetails(image, /Containers/i.test(image.Name ?? ''));
  ctx.sink({ level: 'info', message: `image ${details.name} (${details.id}), given with --image` });
  return details;
}

export async function describeImage(ctx: Pick<ImageLookup, 'ec2' | 'region'>, id: string): Promise<Image | undefined> {
  try {
    const out = await ctx.ec2.send(new DescribeImagesCommand({ ImageIds: [id] }));
    return out.Images?.find((i) => i.ImageId === id);
  } catch (err) {
    if (hasAwsCode(err, 'InvalidAMIID.NotFound', 'InvalidAMIID.Malformed', 'InvalidAMIID.Unavailable')) return undefined;
    return guard({ action: 'ec2:DescribeImages', region: ctx.region }, () => Promise.reject(err));
  }
}

export function isWindows(image: Image): boolean {
  // The API answers "windows" although the SDK's enum spells it "Windows".
  return /^windows/i.test(image.Platform ?? '') || /^windows/i.test(image.PlatformDetails ?? '');
}

export function toDetails(image: Image, containersPreinstalled: boolean): ImageDetails {
  const root = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName);
  return {
    id: image.ImageId!,
    name: image.Name ?? image.ImageId!,
    containersPreinstalled,
    // Windows AMIs map their root volume on /dev/sda1.
    rootDeviceName: image.RootDeviceName ?? '/dev/sda1',
    rootSnapshotGb: root?.Ebs?.VolumeSize,
  };
}
